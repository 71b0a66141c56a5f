package onnx

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
)

// MaxGraphSize bounds what Load keeps in memory of a model file: the file
// without its weights. Weights are skipped while the file is read, so a
// model of up to MaxFileSize bytes loads in memory of about this size, and
// a file that is not a model (or never ends, as /dev/zero) fails at the
// first bytes that are not ONNX or at the cap, never by running out of
// memory.
const MaxGraphSize = 64 << 20

// keepTensorData is the longest tensor data field kept: the importer reads
// the contents of integer tensors of up to maxVals elements (shape vectors,
// axes), which take at most 10 bytes an element even as varints. Longer
// data (weights) only has its dims read, and is dropped while reading.
const keepTensorData = 10*maxVals + 16

// msgKind names the ONNX messages that can hold tensors, so that the
// reader knows which fields to descend into.
type msgKind int

const (
	kOther msgKind = iota
	kModel
	kGraph
	kNode
	kAttribute
	kTensor
	kSparseTensor
	kFunction
	kTrainingInfo
)

// children maps a message's fields that are themselves such messages (the
// field numbers of onnx.proto).
var children = map[msgKind]map[protowire.Number]msgKind{
	kModel:        {7: kGraph, 20: kTrainingInfo, 25: kFunction},
	kTrainingInfo: {1: kGraph, 2: kGraph},
	kGraph:        {1: kNode, 5: kTensor, 15: kSparseTensor},
	kNode:         {5: kAttribute},
	kAttribute:    {5: kTensor, 6: kGraph, 10: kTensor, 11: kGraph, 22: kSparseTensor, 23: kSparseTensor},
	kSparseTensor: {1: kTensor, 2: kTensor},
	kFunction:     {7: kNode},
}

// tensorData are TensorProto's data fields: float_data, int32_data,
// string_data, int64_data, raw_data, double_data, uint64_data.
var tensorData = map[protowire.Number]bool{4: true, 5: true, 6: true, 7: true, 9: true, 10: true, 11: true}

// maxNesting bounds how deep messages nest (graphs inside attributes
// inside nodes inside graphs...): real models nest a few levels.
const maxNesting = 100

// errMalformed marks errors of the protobuf encoding itself.
var errMalformed = errors.New("malformed or truncated protobuf")

// stripper reads a ModelProto from a stream and re-encodes it without the
// long data fields of its tensors.
type stripper struct {
	r     *bufio.Reader
	read  int64 // bytes consumed
	limit int64 // the most bytes read
	kept  int64 // bytes kept (each counted once, where it was read)
}

func (s *stripper) ReadByte() (byte, error) {
	if s.read >= s.limit {
		return 0, errTooLarge
	}
	b, err := s.r.ReadByte()
	if err == nil {
		s.read++
	}
	return b, err
}

var errTooLarge = errors.New("too large")

// bytes reads n bytes, or drops them when keep is false.
func (s *stripper) bytes(n int64, keep bool) ([]byte, error) {
	if n > s.limit-s.read {
		// Read what there is, so that a truncated file is told from a
		// large one.
		if _, err := io.CopyN(io.Discard, s.r, s.limit-s.read); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, errTooLarge
	}
	if !keep {
		m, err := io.CopyN(io.Discard, s.r, n)
		s.read += m
		if err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, nil
	}
	if s.kept+n > MaxGraphSize {
		return nil, fmt.Errorf("the model without its weights is larger than %d bytes", MaxGraphSize)
	}
	b := make([]byte, n)
	m, err := io.ReadFull(s.r, b)
	s.read += int64(m)
	if err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return b, nil
}

func (s *stripper) varint() (uint64, error) {
	var v uint64
	for shift := 0; shift < 64; shift += 7 {
		b, err := s.ReadByte()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
		if shift == 63 && b > 1 {
			return 0, fmt.Errorf("%w: a varint overflows 64 bits", errMalformed)
		}
		v |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return v, nil
		}
	}
	return 0, errMalformed
}

// message re-encodes a message of kind k that takes n bytes of the stream
// (n < 0: up to the end of the stream).
func (s *stripper) message(k msgKind, n int64, depth int) ([]byte, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("messages nested more than %d deep", maxNesting)
	}
	end := s.read + n
	var out []byte
	for n < 0 || s.read < end {
		if n < 0 {
			if _, err := s.r.Peek(1); err == io.EOF {
				return out, nil // the end of the stream, between fields
			}
		}
		tag, err := s.varint()
		if err != nil {
			return nil, err
		}
		num, typ := protowire.Number(tag>>3), protowire.Type(tag&7)
		before, nested := len(out), 0
		if !num.IsValid() {
			return nil, fmt.Errorf("%w: field number %d", errMalformed, num)
		}
		switch typ {
		case protowire.VarintType:
			v, err := s.varint()
			if err != nil {
				return nil, err
			}
			out = protowire.AppendVarint(protowire.AppendTag(out, num, typ), v)
		case protowire.Fixed32Type, protowire.Fixed64Type:
			size := int64(4)
			if typ == protowire.Fixed64Type {
				size = 8
			}
			b, err := s.bytes(size, true)
			if err != nil {
				return nil, err
			}
			out = append(protowire.AppendTag(out, num, typ), b...)
		case protowire.BytesType:
			l, err := s.varint()
			if err != nil {
				return nil, err
			}
			if l > 1<<62 || (n >= 0 && int64(l) > end-s.read) {
				return nil, fmt.Errorf("%w: a field of %d bytes overruns its message", errMalformed, l)
			}
			var b []byte
			switch child, ok := children[k][num]; {
			case ok:
				b, err = s.message(child, int64(l), depth+1)
				nested = len(b) // counted where it was read
			case k == kTensor && tensorData[num] && l > keepTensorData:
				if _, err := s.bytes(int64(l), false); err != nil {
					return nil, err
				}
				continue
			default:
				b, err = s.bytes(int64(l), true)
			}
			if err != nil {
				return nil, err
			}
			out = protowire.AppendBytes(protowire.AppendTag(out, num, typ), b)
		default:
			return nil, fmt.Errorf("%w: wire type %d", errMalformed, typ)
		}
		// What is kept stays in memory: bound it (a stream of tiny fields
		// would otherwise keep the whole file).
		if s.kept += int64(len(out) - before - nested); s.kept > MaxGraphSize {
			return nil, fmt.Errorf("the model without its weights is larger than %d bytes", MaxGraphSize)
		}
	}
	if s.read != end {
		return nil, fmt.Errorf("%w: a field overruns its message", errMalformed)
	}
	return out, nil
}

// readStripped reads a model of at most limit bytes from r and returns
// its encoding without the long tensor data fields (see MaxGraphSize).
func readStripped(r io.Reader, limit int64) ([]byte, error) {
	s := &stripper{r: bufio.NewReaderSize(r, 1<<16), limit: limit}
	data, err := s.message(kModel, -1, 0)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, fmt.Errorf("larger than %d bytes", limit)
	case err == io.ErrUnexpectedEOF:
		return nil, fmt.Errorf("not a readable ONNX model (%v): unexpected EOF", errMalformed)
	case errors.Is(err, errMalformed):
		return nil, fmt.Errorf("not a readable ONNX model (%v): %s", errMalformed, strings.TrimPrefix(err.Error(), errMalformed.Error()+": "))
	case err != nil:
		return nil, err
	}
	return data, nil
}
