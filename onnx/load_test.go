package onnx

import (
	"bytes"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/npusim/npusim/onnx/internal/onnxpb"
)

// allocated is the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestLoadDropsWeights: a model whose weights are stored (8 MiB of
// raw_data, and a Constant node holding 1 MiB of floats) loads like its
// stripped copy, without the weights ever being held in memory.
func TestLoadDropsWeights(t *testing.T) {
	g := convGraph(vi("x", 1, 3, 8, 8))
	g.nodes = append(g.nodes,
		node("Constant", "big", nil, []string{"c"}, &onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
			T: &onnxpb.TensorProto{Dims: []int64{1 << 18}, DataType: proto.Int32(1), FloatData: make([]float32, 1<<18)}}),
		valueInts("shape", 2, 32))
	stripped := g.bytes(t)
	g.inits[0].RawData = make([]byte, 8<<20)
	full := g.bytes(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "full.onnx")
	if err := os.WriteFile(path, full, 0o644); err != nil {
		t.Fatal(err)
	}
	var m *Model
	var err error
	n := allocated(func() { m, err = Load(path) })
	if err != nil {
		t.Fatal(err)
	}
	want, err := Parse(path, stripped)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Load gives %+v, the stripped model %+v", m, want)
	}
	if n > 2<<20 {
		t.Errorf("Load of a %d-byte model allocated %d bytes", len(full), n)
	}
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestLoadCap: the size cap holds while reading, in bounded memory: a
// stream that never ends inside a tensor's data stops at the cap, a
// regular file over the cap is refused unread, and /dev/zero fails at its
// first byte.
func TestLoadCap(t *testing.T) {
	// ModelProto.graph (7) -> GraphProto.initializer (5) -> TensorProto.raw_data (9),
	// declared 2^40, 2^39 and 2^38 bytes long, then zeros for ever.
	var head []byte
	for i, num := range []protowire.Number{7, 5, 9} {
		head = protowire.AppendVarint(protowire.AppendTag(head, num, protowire.BytesType), 1<<(40-i))
	}
	var err error
	const limit = 32 << 20
	n := allocated(func() { _, err = loadFrom("endless.onnx", io.MultiReader(bytes.NewReader(head), zeros{}), limit) })
	if want := "onnx endless.onnx: larger than 33554432 bytes"; err == nil || err.Error() != want {
		t.Errorf("endless stream: %v, want %q", err, want)
	}
	if n > 4<<20 {
		t.Errorf("endless stream: %d bytes allocated reading %d bytes", n, limit)
	}

	big := filepath.Join(t.TempDir(), "big.onnx")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxFileSize + 1); err != nil { // sparse: no disk used
		t.Skip("cannot make a sparse file:", err)
	}
	f.Close()
	if _, err := Load(big); err == nil || err.Error() != "onnx "+big+": larger than 2147483648 bytes" {
		t.Errorf("big file: %v", err)
	}

	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := Load("/dev/zero")
		if want := "onnx /dev/zero: not a readable ONNX model (malformed or truncated protobuf): field number 0"; err == nil || err.Error() != want {
			t.Errorf("/dev/zero: %v, want %q", err, want)
		}
	}
}

// TestLoadTruncated: Load, which reads as it goes, and Parse agree on
// every cut of a real model: both load it, or both refuse it for the same
// reason (in one line).
func TestLoadTruncated(t *testing.T) {
	resnet, err := os.ReadFile(filepath.Join("testdata", "resnet18.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	reason := func(err error) string {
		if err == nil {
			return "loaded"
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("more than one line: %q", err)
		}
		r, _, _ := strings.Cut(err.Error(), " (")
		return r
	}
	for cut := 0; cut <= len(resnet); cut += 31 {
		_, errL := loadFrom("m.onnx", bytes.NewReader(resnet[:cut]), MaxFileSize)
		_, errP := Parse("m.onnx", resnet[:cut])
		if reason(errL) != reason(errP) {
			t.Errorf("cut at %d: Load %v; Parse %v", cut, errL, errP)
		}
	}
}

// TestLoadAgreesWithParse mutates small models at random (a fixed seed):
// whenever Parse refuses one, Load, which reads it as a stream, refuses it
// too, and when both load it they give the same model. Every message is
// one printable line, even for names holding control characters.
func TestLoadAgreesWithParse(t *testing.T) {
	resnet, err := os.ReadFile(filepath.Join("testdata", "resnet18.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	seeds := [][]byte{resnet, convGraph(vi("x", 1, 3, 8, 8)).bytes(t), transposeGraph().bytes(t), attentionGraph().bytes(t)}
	r := rand.New(rand.NewSource(2))
	n := 3000
	if testing.Short() {
		n = 300
	}
	for i := 0; i < n; i++ {
		d := append([]byte{}, seeds[r.Intn(len(seeds))]...)
		for k := r.Intn(3) + 1; k > 0; k-- {
			d[r.Intn(len(d))] = byte(r.Intn(256))
		}
		if r.Intn(4) == 0 {
			d = d[:r.Intn(len(d))]
		}
		m, errP := Parse("m.onnx", d)
		ml, errL := loadFrom("m.onnx", bytes.NewReader(d), int64(len(d)))
		switch {
		case errP != nil && errL == nil:
			t.Fatalf("mutation %d: Parse refuses (%v), Load loads", i, errP)
		case errP == nil && errL == nil && !reflect.DeepEqual(m, ml):
			t.Fatalf("mutation %d: Parse gives %+v, Load %+v", i, m, ml)
		}
		for _, err := range []error{errP, errL} {
			if err != nil && strings.ContainsFunc(err.Error(), func(r rune) bool { return r < ' ' || r == 0x7f }) {
				t.Fatalf("mutation %d: %q is not one printable line", i, err)
			}
		}
	}
	// A varint whose 10th byte overflows 64 bits is malformed.
	bad := append(protowire.AppendTag(nil, 1, protowire.VarintType), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x57)
	if _, err := loadFrom("m.onnx", bytes.NewReader(bad), 100); err == nil || err.Error() != "onnx m.onnx: not a readable ONNX model (malformed or truncated protobuf): a varint overflows 64 bits" {
		t.Errorf("overflowing varint: %v", err)
	}
	// An op type with a newline in it.
	g := convGraph(vi("x", 1, 3, 8, 8))
	g.nodes[0].Domain = proto.String("evil\n\x1b[31m")
	if _, err := g.parse(t); err == nil || err.Error() != `onnx m.onnx: node "conv0": operator evil??[31m.Conv is not supported (npusim reads the default ONNX domain only)` {
		t.Errorf("control characters: %q", err)
	}
}
