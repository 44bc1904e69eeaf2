//go:build linux

package auditkernelreceiver // import "github.com/auditkernel/auditkernel/receiver/auditkernelreceiver"

import (
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/internal/schema"
)

// Notices are log records this receiver writes about the audit trail itself,
// in the same stream as the events, so that a backend can prove the trail
// complete (loss markers) and untampered (rule drift).
const (
	eventNameLost       = "audit.kernel.lost"
	eventNameRulesDrift = "audit.kernel.rules_drift"
)

// translateLossMarker fills lr with the losses since the previous marker.
func translateLossMarker(c lossCounts, now time.Time, lr plog.LogRecord) {
	setNotice(lr, eventNameLost, now, fmt.Sprintf(
		"audit events were lost: %d records lost by the kernel, %d sequence numbers missing, %d events dropped by the receiver, %d socket overruns",
		c.kernel, c.sequenceGaps, c.userspace, c.socketOverruns))
	attrs := lr.Attributes()
	attrs.PutInt(schema.LostKernel, c.kernel)
	attrs.PutInt(schema.LostSequenceGaps, c.sequenceGaps)
	attrs.PutInt(schema.LostUserspace, c.userspace)
	attrs.PutInt(schema.LostSocketOverruns, c.socketOverruns)
	if c.hasRange {
		attrs.PutInt(schema.LostSequenceFirst, int64(c.first))
		attrs.PutInt(schema.LostSequenceLast, int64(c.last))
	}
}

// ruleDrift is a difference found between the configured rules and the
// kernel's, and what was done about it.
type ruleDrift struct {
	detected    time.Time
	missing     []string // configured rules the kernel no longer had
	extra       []string // kernel rules that were not configured
	reinstalled bool
	err         error // why re-installing failed
}

func (d ruleDrift) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the kernel's audit rules drifted from the configured ones: %d missing, %d extra", len(d.missing), len(d.extra))
	if d.reinstalled {
		b.WriteString("; re-installed the configured rules")
	} else {
		fmt.Fprintf(&b, "; re-installing the configured rules failed: %v", d.err)
	}
	return b.String()
}

func translateRuleDrift(d ruleDrift, lr plog.LogRecord) {
	setNotice(lr, eventNameRulesDrift, d.detected, d.summary())
	attrs := lr.Attributes()
	putRules(attrs, schema.DriftMissing, d.missing)
	putRules(attrs, schema.DriftExtra, d.extra)
	attrs.PutBool(schema.DriftReinstalled, d.reinstalled)
	if d.err != nil {
		attrs.PutStr(schema.DriftError, d.err.Error())
	}
}

// putRules puts rules as a string slice, when there are any; a rule read
// back from the kernel may hold bytes that are not UTF-8.
func putRules(attrs pcommon.Map, key string, rules []string) {
	if len(rules) == 0 {
		return
	}
	slice := attrs.PutEmptySlice(key)
	slice.EnsureCapacity(len(rules))
	for _, r := range rules {
		slice.AppendEmpty().SetStr(record.ValidText(r))
	}
}

func setNotice(lr plog.LogRecord, name string, at time.Time, body string) {
	ts := pcommon.NewTimestampFromTime(at)
	lr.SetTimestamp(ts)
	lr.SetObservedTimestamp(ts)
	lr.SetEventName(name)
	lr.SetSeverityNumber(plog.SeverityNumberWarn)
	lr.SetSeverityText("WARN")
	lr.Body().SetStr(body)
}
