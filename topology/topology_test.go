package topology

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/npusim/npusim/systolic"
)

// topologyFile is a shipped topology with its format.
type topologyFile struct {
	path string
	kind Kind
}

// gemmTopologies are the SCALE-Sim example topologies in M, N, K format.
var gemmTopologies = map[string]bool{"NCF.csv": true, "gnmt.csv": true, "gpt2.csv": true,
	"test_mnk_input.csv": true, "transformer_partial.csv": true}

func topologyFiles(t testing.TB) []topologyFile {
	t.Helper()
	var files []topologyFile
	golden, err := filepath.Glob("../testdata/golden/*/topology.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range golden {
		kind, err := os.ReadFile(filepath.Join(filepath.Dir(p), "KIND"))
		if err != nil {
			t.Fatal(err)
		}
		k, err := ParseKind(strings.TrimSpace(string(kind)))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, topologyFile{p, k})
	}
	shipped, err := filepath.Glob("../testdata/topologies/*.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range shipped {
		kind := Conv
		if gemmTopologies[filepath.Base(p)] {
			kind = Gemm
		}
		files = append(files, topologyFile{p, kind})
	}
	if len(golden) < 20 || len(shipped) < 12 {
		t.Fatalf("found only %d golden and %d shipped topologies", len(golden), len(shipped))
	}
	return files
}

func TestLoadTopologyShipped(t *testing.T) {
	for _, f := range topologyFiles(t) {
		t.Run(f.path, func(t *testing.T) {
			layers, err := Load(f.path, f.kind)
			if err != nil {
				t.Fatal(err)
			}
			checkLayers(t, layers)
		})
	}
}

func TestLoadTopologyValues(t *testing.T) {
	tests := []struct {
		path  string
		kind  Kind
		count int
		first []systolic.Layer
	}{
		{"../testdata/golden/stall_8x8_os_user1/topology.csv", Conv, 4, []systolic.Layer{
			{Name: "tiny_conv", H: 8, W: 8, Fh: 3, Fw: 3, Ch: 2, N: 6, Sh: 1, Sw: 1},
			{Name: "tiny_stride2", H: 9, W: 9, Fh: 3, Fw: 3, Ch: 3, N: 5, Sh: 2, Sw: 2},
			{Name: "tiny_fc", H: 1, W: 1, Fh: 1, Fw: 1, Ch: 20, N: 7, Sh: 1, Sw: 1},
			{Name: "s2_conv", H: 30, W: 30, Fh: 3, Fw: 3, Ch: 16, N: 24, Sh: 2, Sw: 2},
		}},
		{"../testdata/golden/gemm_sd_16x16_is/topology.csv", Gemm, 2, []systolic.Layer{
			systolic.GEMM("SD_MatMul_QK_00", 128, 64, 128),
			systolic.GEMM("MH_FC_small", 96, 40, 72),
		}},
		// The all-commas line is skipped, the empty Stride Width column
		// means Sw = Sh, and the filled extra columns are ignored.
		{"../testdata/topologies/Resnet50.csv", Conv, 54, []systolic.Layer{
			{Name: "Conv1", H: 224, W: 224, Fh: 7, Fw: 7, Ch: 3, N: 64, Sh: 2, Sw: 2},
			{Name: "CB2a_1", H: 56, W: 56, Fh: 1, Fw: 1, Ch: 64, N: 64, Sh: 1, Sw: 1},
		}},
		// Blank line after the header, padded names.
		{"../testdata/topologies/Googlenet.csv", Conv, 58, []systolic.Layer{
			{Name: "Conv1", H: 224, W: 224, Fh: 7, Fw: 7, Ch: 3, N: 64, Sh: 2, Sw: 2},
		}},
		{"../testdata/topologies/alexnet.csv", Conv, 5, []systolic.Layer{
			{Name: "Conv1", H: 224, W: 224, Fh: 11, Fw: 11, Ch: 3, N: 96, Sh: 4, Sw: 4},
		}},
		// No newline at the end of the file.
		{"../testdata/topologies/test_mnk_input.csv", Gemm, 1, []systolic.Layer{
			systolic.GEMM("Test 1", 128, 64, 256),
		}},
	}
	for _, tt := range tests {
		layers, err := Load(tt.path, tt.kind)
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) != tt.count {
			t.Errorf("%s: %d layers, want %d", tt.path, len(layers), tt.count)
		}
		if len(layers) >= len(tt.first) && !reflect.DeepEqual(layers[:len(tt.first)], tt.first) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.path, layers[:len(tt.first)], tt.first)
		}
	}
}

const convHeader = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"

func TestParseTopologyGood(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind Kind
		want []systolic.Layer
	}{
		{"stride width", convHeader + "a, 9, 8, 3, 2, 1, 4, 2, 1,\n", Conv,
			[]systolic.Layer{{Name: "a", H: 9, W: 8, Fh: 3, Fw: 2, Ch: 1, N: 4, Sh: 2, Sw: 1}}},
		{"extra columns", convHeader + "a, 9, 8, 3, 2, 1, 4, 2, 1, 7, , 8,\n", Conv,
			[]systolic.Layer{{Name: "a", H: 9, W: 8, Fh: 3, Fw: 2, Ch: 1, N: 4, Sh: 2, Sw: 1}}},
		// A non-empty dropped field past Stride Width is an ignored
		// extra column (Resnet50.csv's e2 column).
		{"dropped extra column", convHeader + "a,9,8,3,2,1,4,2,3,,5,6,7\n", Conv,
			[]systolic.Layer{{Name: "a", H: 9, W: 8, Fh: 3, Fw: 2, Ch: 1, N: 4, Sh: 2, Sw: 3}}},
		{"depthwise", convHeader + "xDPy, 5, 5, 3, 3, 3, 1, 1,\n", Conv, []systolic.Layer{
			{Name: "xDPyChannel_0", H: 5, W: 5, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1},
			{Name: "xDPyChannel_1", H: 5, W: 5, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1},
			{Name: "xDPyChannel_2", H: 5, W: 5, Fh: 3, Fw: 3, Ch: 1, N: 1, Sh: 1, Sw: 1},
		}},
		{"dp is case-sensitive", convHeader + "dp, 5, 5, 3, 3, 3, 1, 1,\n", Conv,
			[]systolic.Layer{{Name: "dp", H: 5, W: 5, Fh: 3, Fw: 3, Ch: 3, N: 1, Sh: 1, Sw: 1}}},
		{"CR line endings and blanks", "h\r\r\n  \r a,1,1,1,1,1,1,1, \r\n\n", Conv,
			[]systolic.Layer{{Name: "a", H: 1, W: 1, Fh: 1, Fw: 1, Ch: 1, N: 1, Sh: 1, Sw: 1}}},
		{"python ints", convHeader + "a, +1_0, 010 ,1,1,1,1,1,\n", Conv,
			[]systolic.Layer{{Name: "a", H: 10, W: 10, Fh: 1, Fw: 1, Ch: 1, N: 1, Sh: 1, Sw: 1}}},
		{"header is always skipped", "a,1,1,1,1,1,1,1,\nb,2,2,1,1,1,1,1,\n", Conv,
			[]systolic.Layer{{Name: "b", H: 2, W: 2, Fh: 1, Fw: 1, Ch: 1, N: 1, Sh: 1, Sw: 1}}},
		{"gemm", "Layer, M, N, K,\ng, 3, 5, 7,\n", Gemm, []systolic.Layer{systolic.GEMM("g", 3, 5, 7)}},
		{"gemm extra", "Layer, M, N, K,\ng, 3, 5, 7, , 9,\n", Gemm, []systolic.Layer{systolic.GEMM("g", 3, 5, 7)}},
		{"gemm dropped extra", "Layer, M, N, K,\ng, 3, 5, 7, 9\n", Gemm, []systolic.Layer{systolic.GEMM("g", 3, 5, 7)}},
		{"gemm name with DP", "Layer, M, N, K,\nDP, 3, 5, 7,\n", Gemm, []systolic.Layer{systolic.GEMM("DP", 3, 5, 7)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse("t.csv", strings.NewReader(tt.in), tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseTopologyBad(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind Kind
		want string
	}{
		{"not an integer", convHeader + "a,1,1,1,1,1,1,1,\nb,1,1,1,1,1,1,1,\nc, 4, 4, 3, x, 1, 1, 1,\n", Conv,
			`topology t.csv line 4: column 5 (Filter Width): "x" is not an integer`},
		{"too few fields", convHeader + "a, 4, 4, 3, 3, 1,\n", Conv,
			`topology t.csv line 2: expected at least 8 fields (Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides), got 6`},
		{"filter too tall", convHeader + "\na,1,1,1,1,1,1,1,\nc, 3, 4, 5, 3, 1, 1, 1,\n", Conv,
			`topology t.csv line 4: Filter Height 5 is larger than IFMAP Height 3`},
		{"zero stride", convHeader + "a, 4, 4, 3, 3, 1, 1, 0,\n", Conv,
			`topology t.csv line 2: Strides must be positive, got 0`},
		{"zero stride width", convHeader + "a, 4, 4, 3, 3, 1, 1, 1, 0,\n", Conv,
			`topology t.csv line 2: Strides must be positive, got 0`},
		{"negative channels", convHeader + "a, 4, 4, 3, 3, -1, 1, 1,\n", Conv,
			`topology t.csv line 2: Channels must be positive, got -1`},
		{"float", convHeader + "a, 4.0, 4, 3, 3, 1, 1, 1,\n", Conv,
			`topology t.csv line 2: column 2 (IFMAP Height): "4.0" is not an integer`},
		{"empty required field", convHeader + "a, 4, , 3, 3, 1, 1, 1,\n", Conv,
			`topology t.csv line 2: column 3 (IFMAP Width): "" is not an integer`},
		{"bad extra column", convHeader + "a, 4, 4, 3, 3, 1, 1, 1, 1, z,\n", Conv,
			`topology t.csv line 2: column 10 (extra): "z" is not an integer`},
		{"bad stride width", convHeader + "a, 4, 4, 3, 3, 1, 1, 1, w,\n", Conv,
			`topology t.csv line 2: column 9 (Stride Width): "w" is not an integer`},
		{"no trailing comma", convHeader + "a, 4, 4, 3, 3, 1, 1, 1\n", Conv,
			`topology t.csv line 2: row has no trailing comma: SCALE-Sim drops the last field of every row (here column 8 (Strides) "1"), so each row must end with ','`},
		// SCALE-Sim would silently lose Stride Width here.
		{"no trailing comma after stride width", convHeader + "a, 4, 4, 3, 3, 1, 1, 1, 2\n", Conv,
			`topology t.csv line 2: row has no trailing comma: SCALE-Sim drops the last field of every row (here column 9 (Stride Width) "2"), so each row must end with ','`},
		{"gemm no trailing comma", "Layer, M, N, K,\ng, 3, 5, 7\n", Gemm,
			`topology t.csv line 2: row has no trailing comma: SCALE-Sim drops the last field of every row (here column 4 (K) "7"), so each row must end with ','`},
		{"gemm too few", "Layer, M, N, K,\ng, 3, 5,\n", Gemm,
			`topology t.csv line 2: expected at least 4 fields (Layer name, M, N, K), got 3`},
		{"gemm zero", "Layer, M, N, K,\ng, 3, 0, 7,\n", Gemm,
			`topology t.csv line 2: N must be positive, got 0`},
		{"gemm not integer", "Layer, M, N, K,\ng, 3, 5, k,\n", Gemm,
			`topology t.csv line 2: column 4 (K): "k" is not an integer`},
		{"empty", "", Conv, `topology t.csv: no layers`},
		{"header only", convHeader, Conv, `topology t.csv: no layers`},
		{"blanks only", convHeader + "\n ,,, ,\n\n", Conv, `topology t.csv: no layers`},
		{"blank first line", "\n" + convHeader + "a,1,1,1,1,1,1,1,\n", Conv,
			`topology t.csv line 2: column 2 (IFMAP Height): "IFMAP Height" is not an integer (the first line is always skipped as the header; it is blank here, so this line was read as data)`},
		{"too large", convHeader + "a, 4294967296, 4, 3, 3, 1, 1, 1,\n", Conv,
			`topology t.csv line 2: column 2 (IFMAP Height): 4294967296 is too large (at most 2147483647)`},
		{"too many depthwise channels", convHeader + "DP, 4, 4, 3, 3, 100000, 1, 1,\n", Conv,
			`topology t.csv line 2: depthwise layer "DP" has 100000 channels; npusim expands at most 65536`},
		{"not utf8", convHeader + "\xff, 4, 4, 3, 3, 1, 1, 1,\n", Conv,
			`topology t.csv line 2: not valid UTF-8`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			layers, err := Parse("t.csv", strings.NewReader(tt.in), tt.kind)
			if err == nil {
				t.Fatalf("no error; got %+v", layers)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

func TestTopologyKind(t *testing.T) {
	for s, want := range map[string]Kind{"gemm": Gemm, "conv": Conv, "GEMM": Gemm, "Conv": Conv} {
		if got, err := ParseKind(s); got != want || err != nil {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "x", "foo", "gem"} {
		_, err := ParseKind(s)
		want := fmt.Sprintf("-i %q: the topology format must be conv or gemm", s)
		if err == nil || err.Error() != want {
			t.Errorf("ParseKind(%q) error %v, want %q", s, err, want)
		}
	}
	if Conv.String() != "conv" || Gemm.String() != "gemm" {
		t.Errorf("String: %q %q", Conv, Gemm)
	}
}

func TestLoadTopologyMissingFile(t *testing.T) {
	_, err := Load("../testdata/topologies/none.csv", Conv)
	if err == nil || !strings.HasPrefix(err.Error(), "topology ../testdata/topologies/none.csv: ") {
		t.Fatalf("err = %v", err)
	}
}

func checkLayers(t testing.TB, layers []systolic.Layer) {
	t.Helper()
	if len(layers) == 0 {
		t.Fatal("no layers without error")
	}
	for _, l := range layers {
		if err := l.Validate(); err != nil {
			t.Fatalf("layer %+v: %v", l, err)
		}
		if l.Eh() <= 0 || l.Ew() <= 0 || l.MACs() <= 0 {
			t.Fatalf("layer %+v: non-positive derived size", l)
		}
	}
}

func FuzzParseTopology(f *testing.F) {
	for _, tf := range topologyFiles(f) {
		data, err := os.ReadFile(tf.path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, tf.kind == Gemm)
	}
	f.Fuzz(func(t *testing.T, data []byte, gemm bool) {
		kind := Conv
		if gemm {
			kind = Gemm
		}
		layers, err := Parse("f.csv", strings.NewReader(string(data)), kind)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "topology f.csv") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		checkLayers(t, layers)
		if kind == Gemm {
			for _, l := range layers {
				if l.Fh != 1 || l.Ch != 1 || l.Sh != 1 || l.Sw != 1 || l.Fw != l.W {
					t.Fatalf("gemm layer %+v is not a GEMM", l)
				}
			}
		}
	})
}

// TestTopologyKindHint checks that a file of the other format is rejected
// with the flag that reads it, by its header or by its rows.
func TestTopologyKindHint(t *testing.T) {
	cases := []struct {
		name, data string
		kind       Kind
		want       string
	}{
		{"gemm header under conv", "Layer, M, N, K,\nfc, 8, 4, 16,\n", Conv,
			`topology t.csv line 1: the header "Layer, M, N, K," looks like a GEMM topology: use -i gemm`},
		{"gemm rows under conv", "name,a,b,c,\nfc, 8, 4, 16,\n", Conv,
			"topology t.csv line 2: expected at least 8 fields (Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides), got 4 (looks like a GEMM topology: use -i gemm)"},
		{"conv header under gemm", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\nc, 8, 8, 3, 3, 2, 6, 1,\n", Gemm,
			`topology t.csv line 1: the header "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides," looks like a conv topology: use -i conv`},
		{"conv rows under gemm", "x,\nc, 8, 8, 3, 3, 2, 6, 1,\n", Gemm,
			"topology t.csv line 2: row has 8 fields and looks like a conv topology: use -i conv"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.csv", strings.NewReader(c.data), c.kind)
			if err == nil || err.Error() != c.want {
				t.Errorf("error\n got %v\nwant %s", err, c.want)
			}
		})
	}
	// A GEMM file with extra integer columns under a GEMM header still loads.
	if _, err := Parse("t.csv", strings.NewReader("Layer, M, N, K, a, b, c, d,\nfc, 8, 4, 16, 1, 1, 1, 1,\n"), Gemm); err != nil {
		t.Errorf("GEMM with extra columns: %v", err)
	}
}
