package kernel

// Rule is one configured rule, built into the kernel's binary form.
type Rule struct {
	Source string // where it was written: "audit_rules line 7" or "/etc/x.rules:7"
	Text   string
	Wire   []byte
}

// RuleSet is the outcome of loading the configured rules.
type RuleSet struct {
	Rules []Rule
	// Warnings are rule errors tolerated because of ignore_errors.
	Warnings []string
}

// RuleConfig says where the configured rules are.
type RuleConfig struct {
	AuditRules     string   // auditctl-syntax rules, one per line
	AuditRuleFiles []string // globs of rule files, loaded after AuditRules
	IgnoreErrors   bool     // invalid rules become warnings, like `auditctl -i`
}
