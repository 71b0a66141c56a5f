package dramsim

import (
	"path/filepath"
	"testing"
)

// BenchmarkReplay replays each golden case on each config and reports
// requests per second of wall time (DRAMsim3 took 0.05-0.4 s per
// 20,000-request case on this machine: 50k-400k requests/s).
func BenchmarkReplay(b *testing.B) {
	for _, cfgName := range goldenConfigs {
		cfg, err := LoadConfig(filepath.Join(goldenDir, cfgName+".ini"))
		if err != nil {
			b.Fatal(err)
		}
		for _, cs := range goldenCases {
			reqs, err := ReadTrace(filepath.Join(goldenDir, cs, "requests.trace"))
			if err != nil {
				b.Fatal(err)
			}
			b.Run(cs+"/"+cfgName, func(b *testing.B) {
				for b.Loop() {
					if _, _, err := Replay(cfg, reqs, ReplayOptions{}); err != nil {
						b.Fatal(err)
					}
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(sec*1e3, "ms/replay")
				b.ReportMetric(float64(len(reqs))/sec, "req/s")
			})
		}
	}
}
