package hostops

import (
	"context"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/clusterctl/clusterctl/internal/config"
	"github.com/clusterctl/clusterctl/internal/remote"
	"github.com/clusterctl/clusterctl/internal/resource"
	"github.com/clusterctl/clusterctl/internal/shell"
)

// The exit statuses of the WriteFile command, one per stage, so that an
// error names the stage that failed (75 is the lock's, lockHeldExit).
const (
	exitUpload   = 71 // create the directory, write the temporary file
	exitOwner    = 72 // chown and chmod the temporary file
	exitValidate = 73 // the validator rejected the temporary file
	exitBackup   = 74 // copy the old file under resource.BackupDir
	exitRename   = 76 // rename the temporary file over the target
)

// The stages of WriteFile, as StageError names them.
const (
	StageUpload   = "upload"
	StageOwner    = "set owner and mode"
	StageValidate = "validate"
	StageBackup   = "back up the old file"
	StageRename   = "rename into place"
)

// validatorExited starts the last line of the WriteFile command's stderr
// when the validator rejected the file; the validator's status follows.
const validatorExited = "clusterctl: validator exited "

// StageError is a WriteFile that failed at a known stage. Whatever the
// stage, the target was not replaced and the temporary file was removed.
type StageError struct {
	Stage    string // one of the Stage* constants
	ExitCode int    // the WriteFile command's status
	Msg      string // what the failed command said
}

func (e *StageError) Error() string {
	return fmt.Sprintf("%s: %v (exit %d): %s", e.Stage, ErrCommandFailed, e.ExitCode, e.Msg)
}

// Unwrap makes a StageError match ErrCommandFailed.
func (e *StageError) Unwrap() error { return ErrCommandFailed }

// ValidationError is a file that a validator on the host rejected:
// WriteFile then changed nothing (the old file, and the service reading
// it, are untouched). It matches ErrValidation.
type ValidationError struct {
	Path      string
	Validator string // the validating command, e.g. "keepalived -t -f"
	ExitCode  int    // the validator's status
	Output    string // what the validator said
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("%v: %s (new %s) exited %d; the old file and the running service are untouched:\n%s",
		ErrValidation, e.Validator, path.Base(e.Path), e.ExitCode, e.Output)
}

// Is makes a ValidationError match ErrValidation.
func (e *ValidationError) Is(target error) bool { return target == ErrValidation }

// writeFileCommand is the one shell command of WriteFile. The content
// arrives on stdin and goes into a private (umask 077, noclobber: O_EXCL)
// temporary file next to the target; a stage that fails removes the
// temporary file and exits with its own status; the target is replaced
// only by rename(2), after a sync, so it holds the old or the new
// content, never a part of either.
func writeFileCommand(f resource.File, tmp, backupSuffix string) string {
	backup := resource.BackupDir + f.Path + "." + backupSuffix
	parts := []string{
		fmt.Sprintf("t=%s p=%s", shell.Quote(tmp), shell.Quote(f.Path)),
		fmt.Sprintf(`{ mkdir -p %s && ( umask 077; set -C; cat > "$t" ); } || { rm -f "$t"; exit %d; }`, shell.Quote(path.Dir(f.Path)), exitUpload),
		fmt.Sprintf(`{ chown %s:%s "$t" && chmod %s "$t"; } || { rm -f "$t"; exit %d; }`, shell.Quote(f.Owner), shell.Quote(f.Group), config.FormatMode(f.Mode), exitOwner),
	}
	if f.Validate == resource.ValidateKeepalived {
		// keepalived 2.2.7 exits 0 for a missing file, so emptiness is
		// checked first; it checks that interfaces and scripts exist, so
		// it runs on the host itself.
		parts = append(parts, fmt.Sprintf(`test -s "$t" && keepalived -t -f "$t" </dev/null; r=$?; if [ $r -ne 0 ]; then echo "%s$r" >&2; rm -f "$t"; exit %d; fi`, validatorExited, exitValidate))
	}
	parts = append(parts,
		fmt.Sprintf(`if [ -e "$p" ]; then { mkdir -p %s && cp -p "$p" %s; } || { rm -f "$t"; exit %d; }; fi`, shell.Quote(path.Dir(backup)), shell.Quote(backup), exitBackup),
		`{ sync "$t" 2>/dev/null || sync; }`,
		fmt.Sprintf(`mv -f "$t" "$p" || { rm -f "$t"; exit %d; }`, exitRename),
	)
	return strings.Join(parts, "; ")
}

// WriteFile implements Host in one command (writeFileCommand): the
// content on stdin into a private temporary file, chown and chmod, the
// validator, the backup and a sync, then the rename.
func (s *Shell) WriteFile(ctx context.Context, f resource.File, backupSuffix string) error {
	stdin := f.Content
	if stdin == nil {
		stdin = []byte{}
	}
	res, err := s.conn.Run(ctx, remote.Cmd{Command: writeFileCommand(f, TempPath(f.Path), backupSuffix), Stdin: stdin, Sudo: true})
	if err != nil {
		// No reply: the file may have been replaced or not.
		return fmt.Errorf("write file: %w", err)
	}
	return writeFileError(f, res)
}

// writeFileError turns how the WriteFile command ended into nil, a
// *ValidationError, or a *StageError naming the stage that failed.
func writeFileError(f resource.File, res remote.Result) error {
	var stage string
	switch res.ExitCode {
	case 0:
		return nil
	case exitUpload:
		stage = StageUpload
	case exitOwner:
		stage = StageOwner
	case exitBackup:
		stage = StageBackup
	case exitRename:
		stage = StageRename
	case exitValidate:
		lines := strings.Split(strings.TrimRight(string(res.Stderr), "\n"), "\n")
		last := lines[len(lines)-1]
		if code, err := strconv.Atoi(strings.TrimPrefix(last, validatorExited)); err == nil && strings.HasPrefix(last, validatorExited) {
			out := strings.TrimSpace(strings.Join(lines[:len(lines)-1], "\n") + "\n" + string(res.Stdout))
			if out == "" {
				out = "(no output)"
			}
			return &ValidationError{Path: f.Path, Validator: "keepalived -t -f", ExitCode: code, Output: out}
		}
		stage = StageValidate
	default:
		// sudo refused, or the shell itself failed: no stage of ours.
		stage = "write file"
	}
	return &StageError{Stage: stage, ExitCode: res.ExitCode, Msg: message(res)}
}
