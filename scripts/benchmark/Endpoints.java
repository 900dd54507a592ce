package benchmark;

/** The ports a client connects to for the echo, sink and source targets, as one column reaches them. */
record Endpoints(int echo, int sink, int source) {}
