package runner

import "os"

// baseConfig is a valid SCALE-Sim v2 config, shared with the config
// package's tests.
var baseConfig = func() string {
	data, err := os.ReadFile("../testdata/configs/base.cfg")
	if err != nil {
		panic(err)
	}
	return string(data)
}()
