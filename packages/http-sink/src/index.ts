// The HTTP POST sink is built in the http-sink issue; this entry point keeps the package's exports map and
// build stable until then.
export {};
