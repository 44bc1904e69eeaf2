package kernel

// Socket types.
const (
	SocketAuto      = ""
	SocketUnicast   = "unicast"
	SocketMulticast = "multicast"
)

// Backpressure strategies, with Auditbeat's auditd-module semantics.
const (
	BackpressureAuto      = "auto"
	BackpressureKernel    = "kernel"
	BackpressureUserspace = "userspace"
	BackpressureBoth      = "both"
	BackpressureNone      = "none"
)

// FailureModes maps the configured name to the kernel's AUDIT_FAIL_* value.
// go-libaudit v2.6.2's FailureMode constants are all 0, so the values are ours.
var FailureModes = map[string]uint32{"silent": 0, "log": 1, "panic": 2}

// Config is what Open applies: the receiver's settings that concern the kernel.
type Config struct {
	SocketType           string
	FailureMode          string
	BacklogLimit         uint32
	RateLimit            uint32
	BackpressureStrategy string
	Immutable            bool
	SocketBufferSize     int
}

// Setup is what opening the kernel chose and changed.
type Setup struct {
	SocketType string
	Reason     string   // why SocketType
	Changed    []string // kernel settings changed, as "name old->new"
	Rules      int      // audit rules installed
	// PID is the audit PID this receiver registered, 0 in multicast mode.
	PID uint32
	// Backpressure is the plan for a receiver that cannot keep up (Linux).
	Backpressure Backpressure
	// SocketBuffer is the data socket's receive buffer in bytes, as the
	// kernel granted it: without CAP_NET_ADMIN, net.core.rmem_max caps
	// socket_buffer_size.
	SocketBuffer int
}

// Backpressure is what happens when the receiver cannot keep up, decided
// once, from the status read when the kernel is opened.
type Backpressure struct {
	// SetWaitTime says to set the kernel's backlog_wait_time to WaitTime:
	// 0 makes the kernel drop (and count) records instead of making audited
	// programs wait for the receiver.
	SetWaitTime bool
	WaitTime    uint32
	// DropWhenFull drops events (counted) when the receiver's queue is full
	// instead of blocking the reader, so that the kernel's backlog drains.
	DropWhenFull bool
	Reason       string
}
