package runner

import (
	"github.com/npusim/npusim/config"
	"github.com/npusim/npusim/internal/fileio"
	"github.com/npusim/npusim/report"
	"github.com/npusim/npusim/topology"
)

// Names that moved out of runner when it was split by concern. They stay
// for one release; CHANGELOG.md lists where each went.

// Config is config.Config.
//
// Deprecated: use config.Config.
type Config = config.Config

// BandwidthMode is config.BandwidthMode.
//
// Deprecated: use config.BandwidthMode.
type BandwidthMode = config.BandwidthMode

// LayerReport is report.Layer.
//
// Deprecated: use report.Layer.
type LayerReport = report.Layer

// TopologyKind is topology.Kind.
//
// Deprecated: use topology.Kind.
type TopologyKind = topology.Kind

// Deprecated: use CALC, USER, topology.Conv and topology.Gemm.
const (
	CALC = config.CALC
	USER = config.USER
	Conv = topology.Conv
	Gemm = topology.Gemm

	// MaxInputBytes bounds a config or topology file.
	MaxInputBytes = fileio.MaxInputBytes
)

// Deprecated: use config.Load, config.Parse, config.ReadFile, topology.Load,
// topology.Parse, topology.LoadFor, topology.ParseKind and report.WriteReports.
var (
	LoadConfig        = config.Load
	ParseConfig       = config.Parse
	ReadConfigFile    = config.ReadFile
	LoadTopology      = topology.Load
	ParseTopology     = topology.Parse
	LoadTopologyFor   = topology.LoadFor
	ParseTopologyKind = topology.ParseKind
	WriteReports      = report.WriteReports
)
