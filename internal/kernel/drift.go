//go:build !windows

package kernel

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/elastic/go-libaudit/v2/rule"
)

// DiffRules compares the rules this receiver installed with the kernel's, as
// multisets of their binary form: the kernel lists rules per filter list and
// puts -A rules first, so the order it reports differs from the configured
// order even when nothing changed.
func DiffRules(want []Rule, have [][]byte) (missing, extra []string) {
	unmatched := map[string]int{}
	for _, h := range have {
		unmatched[string(h)]++
	}
	for _, w := range want {
		key := string(ListedForm(w.Wire))
		if unmatched[key] > 0 {
			unmatched[key]--
			continue
		}
		missing = append(missing, w.Text)
	}
	for _, h := range have {
		if unmatched[string(h)] > 0 {
			unmatched[string(h)]--
			extra = append(extra, ruleText(h))
		}
	}
	return missing, extra
}

// ListedForm is a rule as the kernel lists it: without the prepend flag,
// which only says where to insert it.
func ListedForm(wire []byte) []byte {
	flags := binary.NativeEndian.Uint32(wire)
	if flags&auditFilterPrepend == 0 {
		return wire
	}
	listed := append([]byte(nil), wire...)
	binary.NativeEndian.PutUint32(listed, flags&^auditFilterPrepend)
	return listed
}

// ruleText renders a kernel rule in auditctl syntax, or in hex when
// go-libaudit cannot decode it, so that a drift report always names it.
func ruleText(wire []byte) string {
	text, err := rule.ToCommandLine(wire, false)
	if err != nil {
		return "undecodable rule " + hex.EncodeToString(wire)
	}
	return text
}
