//go:build linux

package auditkernelreceiver

// Fuzz targets. `go test` runs each on its seed corpus (the recorded streams,
// rule files and configurations under testdata, plus the regressions in
// testdata/fuzz/<target>/); scripts/fuzz.sh runs them with -fuzz.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.yaml.in/yaml/v3"

	"github.com/auditkernel/auditkernel/internal/kernel"
	"github.com/auditkernel/auditkernel/internal/metrictest"
	"github.com/auditkernel/auditkernel/internal/record"
	"github.com/auditkernel/auditkernel/receiver/auditkernelreceiver/internal/metadatatest"
)

// parseStream reads the recorded-stream format of testdata/raw
// ("type=NAME msg=PAYLOAD" per line; NAME may also be a number). A line
// without that framing becomes the payload of a SYSCALL record, so that
// mutated input still reaches the header parser.
func parseStream(stream []byte) []*libaudit.RawAuditMessage {
	var msgs []*libaudit.RawAuditMessage
	for _, line := range bytes.Split(stream, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		typ, payload := auparse.AUDIT_SYSCALL, line
		if name, rest, ok := bytes.Cut(bytes.TrimPrefix(line, []byte("type=")), []byte(" msg=")); ok && bytes.HasPrefix(line, []byte("type=")) {
			if t, err := auparse.GetAuditMessageType(string(name)); err == nil {
				typ, payload = t, rest
			} else if n, err := strconv.ParseUint(string(name), 10, 16); err == nil {
				typ, payload = auparse.AuditMessageType(n), rest
			}
		}
		msgs = append(msgs, &libaudit.RawAuditMessage{Type: typ, Data: payload})
	}
	return msgs
}

// expectedRecords counts the messages that must reach a log record: event
// messages with a parseable header, except EOE, which only ends an event.
func expectedRecords(msgs []*libaudit.RawAuditMessage) int {
	n := 0
	for _, m := range msgs {
		if !record.IsEvent(m.Type) || m.Type == auparse.AUDIT_EOE {
			continue
		}
		if _, err := auparse.Parse(m.Type, string(m.Data)); err == nil {
			n++
		}
	}
	return n
}

// FuzzRecordStream sends a stream of kernel messages through the receiver's
// userspace path (header parsing, reassembly, coalescing, translation, the
// consumer) and checks that every message either reaches a log record or is
// counted as dropped.
func FuzzRecordStream(f *testing.F) {
	paths, err := filepath.Glob("../../testdata/raw/*.log")
	require.NoError(f, err)
	for _, p := range paths {
		content, err := os.ReadFile(p)
		require.NoError(f, err)
		// Long streams are cut into chunks of whole events: the fuzzer mutates
		// small inputs much faster.
		lines := strings.SplitAfter(string(content), "\n")
		for len(lines) > 0 {
			n := min(len(lines), 40)
			for n < len(lines) && !strings.HasPrefix(lines[n-1], "type=EOE") {
				n++
			}
			f.Add([]byte(strings.Join(lines[:n], "")))
			lines = lines[n:]
		}
	}
	f.Fuzz(func(t *testing.T, stream []byte) {
		msgs := parseStream(stream)
		want := expectedRecords(msgs)

		tt := componenttest.NewTelemetry()
		defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
		cfg := defaultConfig()
		cfg.IncludeRawMessage = true
		cfg.Reassembler.QueueSize = len(msgs) + 1
		cfg.BackpressureStrategy = kernel.BackpressureNone // never drop for a full queue
		fake := newFakeKernel(msgs)
		// Shutdown's drain would wait for a real socket's quiet period
		// (0.25 s an input, a handful of inputs in a smoke run).
		fake.maxWait = time.Millisecond
		sink := new(consumertest.LogsSink)
		r, err := newReceiver(metadatatest.NewSettings(tt), cfg, sink, fake.open)
		require.NoError(t, err)
		require.NoError(t, r.Start(context.Background(), nil))
		// A message taken from the fake is handled before the reader sees
		// the interrupt, so an empty channel means every message is read.
		for len(fake.msgs) > 0 {
			runtime.Gosched()
		}
		require.NoError(t, r.Shutdown(context.Background()))

		got, events := 0, int64(0)
		for _, lr := range logRecords(sink.AllLogs()) {
			require.True(t, utf8.ValidString(lr.Body().Str()), "body %q", lr.Body().Str())
			raw, ok := lr.Attributes().Get("audit.kernel.messages")
			if !ok {
				continue // not an audit event
			}
			events++
			got += raw.Slice().Len()
			for i := range raw.Slice().Len() {
				require.True(t, utf8.ValidString(raw.Slice().At(i).Str()), "raw message %q", raw.Slice().At(i).Str())
			}
			for _, v := range lr.Attributes().AsRaw() {
				if s, isStr := v.(string); isStr {
					require.True(t, utf8.ValidString(s), "attribute %q", s)
				}
			}
		}
		require.Equal(t, events, metrictest.Counter(t, tt, "otelcol_receiver_auditkernel_events_emitted"))
		require.Equal(t, int64(len(msgs)), metrictest.Counter(t, tt, "otelcol_receiver_auditkernel_messages_received"))
		if drops := metrictest.Counter(t, tt, "otelcol_receiver_auditkernel_userspace_drops"); drops == 0 {
			require.Equal(t, want, got, "a message vanished without being counted")
		} else {
			require.Less(t, got, want+1)
		}
	})
}

// receiverBlocks returns the auditkernel receiver blocks of the collector
// configurations and of the receiver's own testdata/config.yaml, as YAML.
func receiverBlocks(f *testing.F) [][]byte {
	var blocks [][]byte
	collectorConfigs, err := filepath.Glob("../../testdata/*valid/*.yaml")
	require.NoError(f, err)
	for _, p := range append(collectorConfigs, filepath.Join("testdata", "config.yaml")) {
		content, err := os.ReadFile(p)
		require.NoError(f, err)
		retrieved, err := confmap.NewRetrievedFromYAML(content)
		require.NoError(f, err)
		conf, err := retrieved.AsConf()
		require.NoError(f, err)
		if conf.IsSet("receivers") {
			conf, err = conf.Sub("receivers")
			require.NoError(f, err)
		}
		for _, key := range conf.AllKeys() {
			id, _, _ := strings.Cut(key, confmap.KeyDelimiter)
			if !strings.HasPrefix(id, "auditkernel") {
				continue
			}
			sub, err := conf.Sub(id)
			require.NoError(f, err)
			block, err := yaml.Marshal(sub.ToStringMap())
			require.NoError(f, err)
			blocks = append(blocks, block)
		}
	}
	return blocks
}

// FuzzConfig decodes YAML as the receiver's configuration block the way the
// collector does (confmap from YAML, Unmarshal, Validate).
func FuzzConfig(f *testing.F) {
	for _, block := range receiverBlocks(f) {
		f.Add(block)
	}
	f.Fuzz(func(t *testing.T, block []byte) {
		retrieved, err := confmap.NewRetrievedFromYAML(block)
		if err != nil {
			return
		}
		conf, err := retrieved.AsConf()
		if err != nil {
			return
		}
		cfg := createDefaultConfig().(*Config)
		if err := conf.Unmarshal(cfg); err != nil {
			require.NotEmpty(t, err.Error())
			return
		}
		for _, pattern := range cfg.AuditRuleFiles {
			// Keep the fuzzer inside the package directory: a glob such as
			// /proc/kmsg would block in read.
			if filepath.IsAbs(pattern) || strings.Contains(pattern, "..") {
				t.Skip("rule file outside the package directory")
			}
		}
		err = confmap.Validate(cfg)
		if err != nil {
			require.NotEmpty(t, err.Error())
		}
		require.Equal(t, err == nil, confmap.Validate(cfg) == nil, "validation has no side effects")
	})
}
