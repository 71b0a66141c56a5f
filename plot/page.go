package plot

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strconv"

	"github.com/npusim/npusim/sweep"
)

// PageFile is the report page's name.
const PageFile = "index.html"

// Write draws the plots of the sweep table t into dir (SVG and PNG) and
// writes index.html, which links csvName (relative to dir). It returns
// the configurations, in sweep order.
func Write(dir string, t *sweep.Table, csvName string) ([]Config, error) {
	cfgs, err := Summarise(t)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	for _, draw := range []func([]Config, string) error{drawCycles, drawUtil, drawDRAM} {
		if err := draw(cfgs, dir); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, pageData(t, cfgs, csvName)); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	path := filepath.Join(dir, PageFile)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	return cfgs, nil
}

type cell struct {
	Text string
	Num  bool // sorts as a number
}

type pageView struct {
	Configs     int
	Best, Worst Config
	Speedup     string
	CSV         string
	Plots       any
	Header      []string
	Fixed       []string
	Rows        [][]cell
	BestRow     int
}

func pageData(t *sweep.Table, cfgs []Config, csvName string) pageView {
	best := Best(cfgs)
	worst, bestRow := cfgs[0], 0
	for i, c := range cfgs {
		if c.TotalCycles > worst.TotalCycles {
			worst = c
		}
		if c.ID == best.ID {
			bestRow = i
		}
	}
	v := pageView{Configs: len(cfgs), Best: best, Worst: worst, CSV: csvName, Plots: Plots, BestRow: bestRow,
		Speedup: strconv.FormatFloat(float64(worst.TotalCycles)/float64(best.TotalCycles), 'f', 2, 64)}
	// Settings equal in every configuration are listed once above the
	// table, which keeps the columns that vary.
	var settings []string
	for _, col := range settingColumns(t) {
		same := true
		for _, c := range cfgs {
			same = same && c.Settings[col] == cfgs[0].Settings[col]
		}
		if same && cfgs[0].Settings[col] == "" {
			continue // e.g. the bandwidth in CALC mode
		}
		if same {
			v.Fixed = append(v.Fixed, col+" = "+cfgs[0].Settings[col])
		} else {
			settings = append(settings, col)
		}
	}
	v.Header = append([]string{"#", "configuration", "rows", "cols", "dataflow"}, settings...)
	v.Header = append(v.Header, "total cycles", "stall cycles", "utilization %",
		"IFMAP DRAM BW (words/cycle)", "Filter DRAM BW (words/cycle)", "OFMAP DRAM BW (words/cycle)")
	num := func(x int64) cell { return cell{strconv.FormatInt(x, 10), true} }
	flt := func(x float64) cell { return cell{strconv.FormatFloat(x, 'f', 3, 64), true} }
	for _, c := range cfgs {
		row := []cell{num(int64(c.ID)), {c.Name, false}, num(int64(c.Rows)), num(int64(c.Cols)), {c.Dataflow, false}}
		for _, s := range settings {
			_, err := strconv.ParseFloat(c.Settings[s], 64)
			row = append(row, cell{c.Settings[s], err == nil})
		}
		row = append(row, num(c.TotalCycles), num(c.StallCycles), flt(c.Util),
			flt(c.DRAMBandwidth[0]), flt(c.DRAMBandwidth[1]), flt(c.DRAMBandwidth[2]))
		v.Rows = append(v.Rows, row)
	}
	return v
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>npusim sweep</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
figure { margin: 1em 0; }
img.plot { max-width: 100%; border: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 90%; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #eee; cursor: pointer; user-select: none; }
th[aria-sort=ascending]::after { content: " \25B2"; }
th[aria-sort=descending]::after { content: " \25BC"; }
tr.best { background: #e3f6e3; font-weight: bold; }
</style>
</head>
<body>
<h1>npusim sweep: {{.Configs}} configurations</h1>
<p id="best">Best configuration by total cycles: <strong id="best-name">{{.Best.Name}}</strong> ({{.Best.Label}}),
{{.Best.TotalCycles}} cycles ({{.Speedup}}x fewer than the slowest, {{.Worst.Name}} ({{.Worst.Label}}), {{.Worst.TotalCycles}} cycles).</p>
{{range .Plots}}<figure id="{{.Name}}">
<img class="plot" src="{{.Name}}.svg" alt="{{.Title}}">
<figcaption>{{.Title}} (<a href="{{.Name}}.svg">SVG</a>, <a href="{{.Name}}.png">PNG</a>)</figcaption>
</figure>
{{end}}
<h2>Configurations</h2>
<p>Click a column to sort (index.html#sort=total%20cycles opens it sorted). Per-layer figures: <a href="{{.CSV}}">{{.CSV}}</a>.</p>
{{if .Fixed}}<p id="fixed">In every configuration: {{range $i, $f := .Fixed}}{{if $i}}, {{end}}{{$f}}{{end}}.</p>
{{end}}<table id="configs">
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range $i, $r := .Rows}}<tr{{if eq $i $.BestRow}} class="best"{{end}}>{{range $r}}<td{{if .Num}} class="num"{{end}}>{{.Text}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
<script>
// Sort the table by a clicked column: numbers as numbers, text as text.
document.querySelectorAll("#configs th").forEach(function (th, col) {
  th.addEventListener("click", function () {
    var asc = th.getAttribute("aria-sort") !== "ascending";
    document.querySelectorAll("#configs th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    var body = document.querySelector("#configs tbody");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col], y = b.cells[col], d;
      if (x.classList.contains("num")) { d = parseFloat(x.textContent) - parseFloat(y.textContent); }
      else { d = x.textContent.localeCompare(y.textContent); }
      return asc ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
// index.html#sort=COLUMN opens the page sorted by that column.
if (location.hash.indexOf("#sort=") === 0) {
  var want = decodeURIComponent(location.hash.slice(6));
  document.querySelectorAll("#configs th").forEach(function (th) { if (th.textContent === want) { th.click(); } });
}
// Record, for tests, how many plots the browser could show (not shown on
// the page: a reader sees the plots).
window.addEventListener("load", function () {
  var shown = 0;
  document.querySelectorAll("img.plot").forEach(function (i) { if (i.complete && i.naturalWidth > 0) { shown++; } });
  document.body.setAttribute("data-plots-shown", shown);
});
</script>
</body>
</html>
`))
