//go:build linux

package kernel

import (
	libaudit "github.com/elastic/go-libaudit/v2"
)

// backlogWaitTimeKernelDefault is the kernel's default backlog_wait_time
// (60*HZ jiffies at HZ=250, as auditctl reports it); "none" restores it.
const backlogWaitTimeKernelDefault = 15000

// planBackpressure applies the strategy to the kernel as status (nil when
// it could not be read) describes it, for the chosen socket type.
//
// Only a unicast receiver of an unlocked kernel sets backlog_wait_time: a
// locked kernel (-e 2) refuses, and a multicast reader never holds the
// kernel's backlog up (the kernel drops multicast copies a full socket
// cannot take, which the reader counts as overruns). "auto" blocks the
// reader when the kernel then drops on its own (wait time 0, or multicast),
// and drops in userspace when it cannot tell (no status, a kernel without
// backlog_wait_time) or when a locked kernel would make audited programs
// wait for a blocked reader.
func planBackpressure(strategy string, status *libaudit.AuditStatus, socketType string) Backpressure {
	supported := status != nil && status.FeatureBitmap&libaudit.AuditFeatureBitmapBacklogWaitTime != 0
	locked := status != nil && status.Enabled == auditEnabledLocked
	var plan Backpressure
	if supported && socketType == SocketUnicast && !locked {
		switch strategy {
		case BackpressureAuto, BackpressureKernel, BackpressureBoth:
			plan.SetWaitTime, plan.WaitTime = true, 0
		case BackpressureNone:
			plan.SetWaitTime, plan.WaitTime = true, backlogWaitTimeKernelDefault
		}
	}
	switch strategy {
	case BackpressureUserspace, BackpressureBoth:
		plan.DropWhenFull, plan.Reason = true, "backpressure_strategy "+strategy+" drops in userspace"
	case BackpressureKernel, BackpressureNone:
		plan.Reason = "backpressure_strategy " + strategy + " blocks the reader"
	case BackpressureAuto:
		switch {
		case !supported:
			plan.DropWhenFull, plan.Reason = true, "the kernel's backlog_wait_time is unknown or unsupported: dropping in userspace"
		case socketType == SocketUnicast && locked && status.BacklogWaitTime > 0:
			plan.DropWhenFull, plan.Reason = true, "the kernel is locked with backlog_wait_time > 0: a blocked reader would make audited programs wait, dropping in userspace"
		case socketType == SocketMulticast:
			plan.Reason = "multicast: the kernel drops what the socket cannot take; blocking the reader"
		default:
			plan.Reason = "the kernel drops on its own (backlog_wait_time 0): blocking the reader"
		}
	}
	return plan
}
