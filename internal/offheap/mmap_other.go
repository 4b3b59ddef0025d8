//go:build !(linux && (amd64 || arm64 || riscv64 || loong64 || ppc64le))

package offheap

import "unsafe"

const supported = false

func pageSize() int { return 4096 }

func mapAnon(int) ([]byte, error)       { return nil, ErrUnsupported }
func remap([]byte, int) ([]byte, error) { return nil, ErrUnsupported }
func unmap(uintptr, int) error          { return ErrUnsupported }
func addrOf(mem []byte) uintptr         { return uintptr(unsafe.Pointer(unsafe.SliceData(mem))) }
