package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/npusim/npusim/dram/dramsim"
)

const dramSynopsis = "npusim dram replay (-config FILE.ini | -model NAME) [-stop-on-livelock] TRACE"

const dramUsage = "usage: " + dramSynopsis + `

Replays a DRAM request trace (one request a line: <hex address> READ|WRITE
<arrival cycle>, sorted by arrival, cycles of the memory clock) through
npusim's DRAM timing model, the way DRAMsim3's trace driver does: each cycle
the memory ticks first, then requests are offered in trace order from their
arrival on, a refused request holding back the later ones. Prints
index,addr,op,arrival,accept,done for every request on standard output, as
testdata/dram-golden's CSVs. The memory is a DRAMsim3 .ini (-config) or a
preset (-model ddr4, hbm2 or lpddr4).`

func init() { subcommands["dram"] = dramCmd }

// dramCmd is "npusim dram": DRAM model tools (replay).
func dramCmd(args []string) error {
	if len(args) == 0 || args[0] != "replay" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			fmt.Fprintln(stdout, dramUsage)
			return nil
		}
		return fmt.Errorf("dram: expected the replay subcommand (usage: %s)", dramSynopsis)
	}
	fs := flag.NewFlagSet("npusim dram replay", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), dramUsage)
		fs.PrintDefaults()
	}
	cfgPath := fs.String("config", "", "DRAMsim3 .ini config file")
	model := fs.String("model", "", "preset memory: "+strings.Join(dramsim.PresetNames(), ", "))
	stop := fs.Bool("stop-on-livelock", false, "fail where DRAMsim3 livelocks instead of breaking the livelock")
	var rest []string
	args = args[1:]
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return fmt.Errorf("dram replay: %w", err)
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(rest) != 1 {
		return fmt.Errorf("dram replay: expected one trace file, got %d arguments (usage: %s)", len(rest), dramSynopsis)
	}
	var cfg *dramsim.Config
	var err error
	switch {
	case *cfgPath != "" && *model != "":
		return fmt.Errorf("dram replay: give -config or -model, not both")
	case *cfgPath != "":
		cfg, err = dramsim.LoadConfig(*cfgPath)
	case *model != "":
		cfg, err = dramsim.Preset(*model)
	default:
		return fmt.Errorf("dram replay: missing -config FILE.ini or -model NAME (usage: %s)", dramSynopsis)
	}
	if err != nil {
		return err
	}
	reqs, err := dramsim.ReadTrace(rest[0])
	if err != nil {
		return err
	}
	res, _, err := dramsim.Replay(cfg, reqs, dramsim.ReplayOptions{StopOnLivelock: *stop})
	if err != nil {
		return fmt.Errorf("%s: %w", rest[0], err)
	}
	return dramsim.WriteCSV(stdout, reqs, res)
}
