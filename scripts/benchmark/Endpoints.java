package benchmark;

/**
 * The ports a client reaches the targets on, as one column offers them: echo, sink and source over TCP, and the UDP
 * echo.
 */
record Endpoints(int echo, int sink, int source, int udpEcho) {}
