// Command checksrv is a test server for the VM lane's checkers scenario:
// the minimal DNS, SMTP and UDP services keepalived's DNS_CHECK,
// SMTP_CHECK and UDP_CHECK talk to, which the VM's userland lacks. One
// process per service, so that a scenario can kill one to make its checker
// fail and start it again.
//
//	checksrv dns ADDR:PORT   answers every query with one A record (192.0.2.1)
//	checksrv smtp ADDR:PORT  220 greeting, 250 to HELO/EHLO, 221 to QUIT
//	checksrv udp ADDR:PORT   answers every datagram with the bytes 0a 0b
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: checksrv dns|smtp|udp ADDR:PORT")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "dns":
		err = serveUDP(os.Args[2], dnsAnswer)
	case "udp":
		err = serveUDP(os.Args[2], func(q []byte) []byte { return []byte{0x0a, 0x0b} })
	case "smtp":
		err = serveSMTP(os.Args[2])
	default:
		err = fmt.Errorf("unknown service %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "checksrv:", err)
		os.Exit(1)
	}
}

func serveUDP(addr string, answer func([]byte) []byte) error {
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return err
	}
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return err
		}
		if r := answer(buf[:n]); r != nil {
			_, _ = pc.WriteTo(r, from) // a lost answer is a failed check, as it would be
		}
	}
}

// dnsAnswer answers a standard query (one question) with its question and
// one A record, 192.0.2.1, TTL 60; anything else gets no answer.
func dnsAnswer(q []byte) []byte {
	if len(q) < 12 || binary.BigEndian.Uint16(q[4:6]) != 1 {
		return nil
	}
	// The question: labels up to the root, then type and class.
	i := 12
	for i < len(q) && q[i] != 0 {
		i += int(q[i]) + 1
	}
	end := i + 5
	if end > len(q) {
		return nil
	}
	r := make([]byte, 0, end+16)
	r = append(r, q[0], q[1])           // ID
	r = append(r, 0x80|q[2]&0x01, 0x80) // QR, RD copied; RA
	r = append(r, 0, 1, 0, 1, 0, 0, 0, 0)
	r = append(r, q[12:end]...)
	r = append(r, 0xc0, 12) // the name: a pointer to the question's
	r = append(r, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1)
	return r
}

func serveSMTP(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		go func(c net.Conn) {
			defer c.Close()
			fmt.Fprintf(c, "220 checksrv ESMTP\r\n")
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				cmd := strings.ToUpper(strings.TrimSpace(sc.Text()))
				switch {
				case strings.HasPrefix(cmd, "HELO"), strings.HasPrefix(cmd, "EHLO"):
					fmt.Fprintf(c, "250 checksrv\r\n")
				case strings.HasPrefix(cmd, "QUIT"):
					fmt.Fprintf(c, "221 bye\r\n")
					return
				default:
					fmt.Fprintf(c, "250 ok\r\n")
				}
			}
		}(c)
	}
}
