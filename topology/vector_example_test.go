package topology_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/npusim/npusim/systolic"
	"github.com/npusim/npusim/topology"
	"github.com/npusim/npusim/vector"
)

// A network written with the Kind column and read back: Load gives the
// GEMM layers, LoadVector the vector layers in their places.
func ExampleLoadVector() {
	dir, err := os.MkdirTemp("", "npusim-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "net.csv")
	f, err := os.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	gemm := []systolic.Layer{{Name: "conv1", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 4, N: 16, Sh: 1, Sw: 1}, systolic.GEMM("fc", 1, 10, 576)}
	vls := []topology.VectorLayer{
		{Layer: vector.Layer{Name: "relu1", Op: "Relu", Elements: 576, In: 576}, After: 1, FusedInto: "conv1"},
		{Layer: vector.Layer{Name: "pool1", Op: "MaxPool", Elements: 144, Window: 4, In: 576}, After: 1},
	}
	if err := topology.WriteKindCSV(f, gemm, vls); err != nil {
		fmt.Println(err)
		return
	}
	f.Close()

	layers, _ := topology.Load(path, topology.Conv)
	back, err := topology.LoadVector(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, l := range layers {
		fmt.Println("GEMM", l.Name)
	}
	for _, v := range back {
		fmt.Printf("vector %s %s: %d elements, window %d, after %d GEMM layers, fusable into %q\n",
			v.Name, v.Op, v.Elements, v.Window, v.After, v.FusedInto)
	}
	// Output:
	// GEMM conv1
	// GEMM fc
	// vector relu1 Relu: 576 elements, window 1, after 1 GEMM layers, fusable into "conv1"
	// vector pool1 MaxPool: 144 elements, window 4, after 1 GEMM layers, fusable into ""
}
