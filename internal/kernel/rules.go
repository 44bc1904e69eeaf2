//go:build !windows

package kernel

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/elastic/go-libaudit/v2/rule"
	"github.com/elastic/go-libaudit/v2/rule/flags"
)

// maxSyscalls is the size of the kernel's syscall mask (AUDIT_BITMASK_SIZE
// 32-bit words).
const maxSyscalls = 64 * 32

// auditFilterPrepend is the kernel's AUDIT_FILTER_PREPEND rule flag.
const auditFilterPrepend = 0x10

// controlFlags are auditctl options that change kernel settings rather than
// add a rule; each is covered by a receiver setting instead.
var controlFlags = map[string]string{
	"-D":                  "the receiver replaces all kernel rules with the configured ones on start, so -D is unnecessary",
	"-e":                  "use the immutable setting to lock the configuration; auditing is enabled on start",
	"-b":                  "use the backlog_limit setting",
	"-f":                  "use the failure_mode setting",
	"-r":                  "use the rate_limit setting",
	"--backlog_wait_time": "use the backpressure_strategy setting",
}

// LoadRules parses and builds audit_rules, then each file matched by
// audit_rule_files. It has no side effects, so validating twice cannot
// double the rules.
func LoadRules(cfg RuleConfig) (RuleSet, error) {
	var set RuleSet
	var errs []error
	seen := map[string]string{} // binary form -> source of its first occurrence

	add := func(source, text string) {
		r, err := BuildRule(source, text)
		if err == nil {
			if first, dup := seen[string(r.Wire)]; dup {
				err = fmt.Errorf("%s: rule %q duplicates the rule at %s", source, text, first)
			} else {
				seen[string(r.Wire)] = source
				set.Rules = append(set.Rules, r)
				return
			}
		}
		if cfg.IgnoreErrors {
			set.Warnings = append(set.Warnings, err.Error())
			return
		}
		errs = append(errs, err)
	}

	forEachRuleLine(cfg.AuditRules, func(line int, text string) {
		add(fmt.Sprintf("audit_rules line %d", line), text)
	})

	files, err := ruleFiles(cfg.AuditRuleFiles)
	if err != nil {
		errs = append(errs, err)
	}
	for _, file := range files {
		content, err := readRuleFile(file)
		if err != nil {
			errs = append(errs, fmt.Errorf("audit_rule_files: cannot read %s: %w", file, err))
			continue
		}
		forEachRuleLine(string(content), func(line int, text string) {
			add(fmt.Sprintf("%s:%d", file, line), text)
		})
	}
	return set, errors.Join(errs...)
}

// ruleFiles expands the globs in order, sorting each pattern's matches.
func ruleFiles(patterns []string) ([]string, error) {
	var files []string
	for _, pattern := range patterns {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return nil, fmt.Errorf("audit_rule_files: bad pattern %q: %w", pattern, err)
		}
		if len(matches) == 0 && !strings.ContainsAny(pattern, `*?[\`) {
			// A literal path is a file the user expects to be loaded.
			return nil, fmt.Errorf("audit_rule_files: %s does not exist", pattern)
		}
		slices.Sort(matches)
		files = append(files, matches...)
	}
	return files, nil
}

// readRuleFile reads a rule file. Anything but a regular file is refused:
// reading a FIFO would block validation and a device such as /dev/zero would
// never end.
func readRuleFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	switch {
	case info.IsDir():
		return nil, errors.New("it is a directory")
	case !info.Mode().IsRegular():
		return nil, fmt.Errorf("not a regular file (mode %v)", info.Mode())
	}
	return os.ReadFile(path)
}

// forEachRuleLine calls fn for each line that holds a rule, skipping blank
// lines and # comments; line numbers start at 1.
func forEachRuleLine(content string, fn func(line int, text string)) {
	scanner := bufio.NewScanner(strings.NewReader(content))
	scanner.Buffer(make([]byte, 0, 4096), len(content)+1)
	for n := 1; scanner.Scan(); n++ {
		text := strings.TrimSpace(scanner.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fn(n, text)
	}
}

// BuildRule parses one rule in auditctl syntax into the kernel's binary
// form; source says where it was written, for the errors.
func BuildRule(source, text string) (Rule, error) {
	if fields := strings.Fields(text); len(fields) > 0 {
		if hint, isControl := controlFlags[fields[0]]; isControl {
			return Rule{}, fmt.Errorf("%s: %q is not supported: %s", source, text, hint)
		}
	}
	parsed, err := flags.Parse(text)
	if err != nil {
		return Rule{}, fmt.Errorf("%s: invalid rule %q: %w", source, text, err)
	}
	if parsed.TypeOf() == rule.DeleteAllRuleType {
		return Rule{}, fmt.Errorf("%s: %q is not supported: %s", source, text, controlFlags["-D"])
	}
	if err := checkSyscallNumbers(parsed); err != nil {
		return Rule{}, fmt.Errorf("%s: invalid rule %q: %w", source, text, err)
	}
	wire, err := rule.Build(parsed)
	if err != nil {
		return Rule{}, fmt.Errorf("%s: invalid rule %q: %w", source, text, err)
	}
	if parsed.TypeOf() == rule.PrependSyscallRuleType {
		// rule.Build drops the difference between -A and -a; the kernel reads
		// it from AUDIT_FILTER_PREPEND in the rule's first word (its flags).
		binary.NativeEndian.PutUint32(wire, binary.NativeEndian.Uint32(wire)|auditFilterPrepend)
	}
	return Rule{Source: source, Text: text, Wire: wire}, nil
}

// checkSyscallNumbers rejects syscalls given by a number outside the kernel's
// syscall mask. go-libaudit v2.6.2's rule.Build checks the mask's bounds off
// by one and panics on 2048..2079.
func checkSyscallNumbers(parsed rule.Rule) error {
	syscallRule, ok := parsed.(*rule.SyscallRule)
	if !ok {
		return nil
	}
	for _, name := range syscallRule.Syscalls {
		if n, err := strconv.Atoi(name); err == nil && (n < 0 || n >= maxSyscalls) {
			return fmt.Errorf("syscall number %d is out of range [0, %d]", n, maxSyscalls-1)
		}
	}
	return nil
}
