//go:build linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le)

package offheap

import (
	"fmt"
	"syscall"
	"unsafe"
)

const supported = true

func pageSize() int { return syscall.Getpagesize() }

// The system calls are made directly: syscall.Mmap records each mapping in
// a table that syscall.Munmap looks up, and a mapping moved by mremap would
// leave that table stale.

// mapAnon maps size bytes of private anonymous memory, readable and
// writable.
func mapAnon(size int) ([]byte, error) {
	addr, _, errno := syscall.Syscall6(syscall.SYS_MMAP, 0, uintptr(size),
		syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS, ^uintptr(0), 0)
	if errno != 0 {
		return nil, fmt.Errorf("offheap: mmap %d bytes: %w", size, errno)
	}
	return sliceAt(addr, size), nil
}

// mremapMayMove lets the kernel move a mapping it cannot grow in place (it
// moves page tables; the bytes are not copied).
const mremapMayMove = 1

// remap grows the mapping mem (its whole length) to size bytes, keeping
// its contents; the old slice is invalid afterwards.
func remap(mem []byte, size int) ([]byte, error) {
	addr, _, errno := syscall.Syscall6(syscall.SYS_MREMAP, addrOf(mem), uintptr(len(mem)), uintptr(size),
		mremapMayMove, 0, 0)
	if errno != 0 {
		return nil, fmt.Errorf("offheap: mremap %d to %d bytes: %w", len(mem), size, errno)
	}
	return sliceAt(addr, size), nil
}

func unmap(addr uintptr, size int) error {
	if _, _, errno := syscall.Syscall(syscall.SYS_MUNMAP, addr, uintptr(size), 0); errno != 0 {
		return errno
	}
	return nil
}

// sliceAt is the size bytes mapped at addr, memory the Go heap does not
// own (so the garbage collector neither scans nor moves it).
func sliceAt(addr uintptr, size int) []byte {
	return unsafe.Slice((*byte)(*(*unsafe.Pointer)(unsafe.Pointer(&addr))), size)
}

func addrOf(mem []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(mem))) }
