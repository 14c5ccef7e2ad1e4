package facts

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// split finds the facts header, decodes the stream up to the trailer and
// cuts it into sections.
func split(out []byte, token string) ([]section, error) {
	prefix := []byte(token + " ")
	header := func(line []byte) []string {
		if !bytes.HasPrefix(line, prefix) {
			return nil
		}
		return strings.Fields(string(line[len(prefix):]))
	}
	lineNo := 0
	next := func() []byte {
		var line []byte
		line, out, _ = bytes.Cut(out, []byte{'\n'})
		lineNo++
		return line
	}
	var enc string
	for enc == "" {
		if len(out) == 0 {
			return nil, ErrTruncated
		}
		line := next()
		if len(line) > maxLine {
			return nil, &ParseError{Section: "output", Line: lineNo, Msg: "line too long"}
		}
		f := header(line)
		if f == nil {
			continue
		}
		if len(f) != 3 || f[0] != "facts" || f[1] != "v=2" {
			return nil, &ParseError{Section: f0(f), Line: lineNo, Msg: "output does not start with the facts v=2 header"}
		}
		enc = strings.TrimPrefix(f[2], "enc=")
		if enc != "b64" && enc != "hex" {
			return nil, &ParseError{Section: "facts", Line: lineNo, Msg: fmt.Sprintf("unknown encoding %q", f[2])}
		}
	}
	var encoded []byte
	for {
		if len(out) == 0 {
			return nil, ErrTruncated
		}
		line := next()
		if len(line) > maxLine {
			return nil, &ParseError{Section: "output", Line: lineNo, Msg: "line too long"}
		}
		if f := header(line); f != nil {
			if len(f) == 1 && f[0] == "done" {
				break
			}
			return nil, &ParseError{Section: f0(f), Line: lineNo, Msg: "header inside the encoded stream"}
		}
		encoded = append(encoded, bytes.TrimSpace(line)...)
	}
	stream, err := decode(encoded, enc)
	if err != nil {
		return nil, &ParseError{Section: "output", Msg: err.Error()}
	}
	return sections(stream, token)
}

// f0 is the first header field, for naming a section in an error.
func f0(f []string) string {
	if len(f) == 0 {
		return "output"
	}
	return f[0]
}

// sections cuts the decoded stream into sections. Every header is
// preceded by a newline that belongs to no body, so a body ends right
// before "\n" + token + " ".
func sections(stream []byte, token string) ([]section, error) {
	sep := []byte("\n" + token + " ")
	if !bytes.HasPrefix(stream, sep) {
		return nil, &ParseError{Section: "output", Msg: "stream does not start with a section"}
	}
	var secs []section
	for rest := stream; len(rest) > 0; {
		hdr, body, ok := bytes.Cut(rest[len(sep):], []byte{'\n'})
		if !ok {
			return nil, ErrTruncated
		}
		if len(hdr) > maxLine {
			return nil, &ParseError{Section: "output", Msg: "header too long"}
		}
		f := strings.Fields(string(hdr))
		if len(f) == 0 {
			return nil, &ParseError{Section: "output", Msg: "empty header"}
		}
		rest = nil
		if i := bytes.Index(body, sep); i >= 0 {
			body, rest = body[:i], body[i:]
		}
		s := section{kind: f[0], args: f[1:], body: body}
		if len(body) > maxSection {
			return nil, &ParseError{Section: s.name(), Msg: "section too large"}
		}
		if s.kind == "end" {
			return secs, nil
		}
		secs = append(secs, s)
	}
	return nil, ErrTruncated
}

// decode decodes the stream (whitespace already removed line by line).
func decode(body []byte, enc string) ([]byte, error) {
	if len(body) == 0 {
		return nil, nil
	}
	if enc == "hex" {
		s := strings.Join(strings.Fields(string(body)), "")
		b, err := hex.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("bad hex stream: %w", err)
		}
		return b, nil
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(body)))
	n, err := base64.StdEncoding.Decode(b, body)
	if err != nil {
		return nil, fmt.Errorf("bad base64 stream: %w", err)
	}
	return b[:n], nil
}
