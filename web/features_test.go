package web

// allFeatures wires every feature's services into a harness; each feature
// appends its option here (see lotteries_test.go, packets_test.go, ...).
var allFeatures []harnessOption
