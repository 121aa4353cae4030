package data

import (
	"os"
	"syscall"
)

// fdatasync makes f's data durable (and the metadata needed to read it).
// It goes through the file's descriptor lock, so a concurrent Close is
// safe (it then fails with os.ErrClosed).
func fdatasync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		for {
			serr = syscall.Fdatasync(int(fd))
			if serr != syscall.EINTR {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}
