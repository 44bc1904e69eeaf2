//go:build !windows

package record

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"github.com/elastic/go-libaudit/v2/auparse"
	"golang.org/x/sys/unix"
)

// The keys that enrichment looks up or adds.
var (
	keyAcct      = newName("acct")
	keyArch      = newName("arch")
	keyArgc      = newName("argc")
	keyAuid      = newName("auid")
	keyCmd       = newName("cmd")
	keyCwd       = newName("cwd")
	keyData      = newName("data")
	keyExe       = newName("exe")
	keyExit      = newName("exit")
	keyKey       = newName("key")
	keyName      = newName("name")
	keyObj       = newName("obj")
	keyOldAuid   = newName("old-auid")
	keyProctitle = newName("proctitle")
	keyRes       = newName("res")
	keyResult    = newName("result")
	keySaddr     = newName("saddr")
	keySes       = newName("ses")
	keySig       = newName("sig")
	keySubj      = newName("subj")
	keySuccess   = newName("success")
	keySyscall   = newName("syscall")

	// The parts of a SELinux context, user:role:domain:level:category.
	subjKeys = [...]name{newName("subj_user"), newName("subj_role"), newName("subj_domain"), newName("subj_level"), newName("subj_category")}
	objKeys  = [...]name{newName("obj_user"), newName("obj_role"), newName("obj_domain"), newName("obj_level"), newName("obj_category")}
)

func notFound(n name) error { return fmt.Errorf("%s key not found", n.key) }

// enrich interprets the extracted fields as auparse's enrichData does, step
// by step in the same order, since steps see what earlier ones changed. It
// sets r.Tags, which auparse keeps even when a later step fails.
func (fs *fieldSet) enrich(r *Record) error {
	fs.unsetID(keyAuid)
	fs.unsetID(keyOldAuid)
	fs.unsetID(keySes)
	fs.selinuxContext(keySubj, &subjKeys)
	fs.result()
	fs.exitName()
	fs.ruleKeys(r)
	fs.hexDecode(keyCwd)

	var err error
	switch r.Type {
	case auparse.AUDIT_SECCOMP:
		if err = fs.signalName(); err != nil {
			return err
		}
		err = fs.syscall()
	case auparse.AUDIT_SYSCALL:
		err = fs.syscall()
	case auparse.AUDIT_SOCKADDR:
		err = fs.sockaddr()
	case auparse.AUDIT_PROCTITLE:
		err = fs.requireHexDecode(keyProctitle)
	case auparse.AUDIT_USER_CMD:
		err = fs.requireHexDecode(keyCmd)
	case auparse.AUDIT_TTY, auparse.AUDIT_USER_TTY:
		err = fs.requireHexDecode(keyData)
	case auparse.AUDIT_EXECVE:
		err = fs.execveArgs()
	case auparse.AUDIT_PATH:
		fs.selinuxContext(keyObj, &objKeys)
		fs.hexDecode(keyName)
	case auparse.AUDIT_USER_LOGIN:
		fs.hexDecode(keyAcct)
	}
	return err
}

// unsetID replaces the two spellings of an unset id with "unset".
func (fs *fieldSet) unsetID(key name) {
	if i, _, ok := fs.get(key); ok {
		switch fs.val(i) {
		case "4294967295", "-1":
			fs.set(i, "unset")
		}
	}
}

// selinuxContext replaces key by up to five fields named by names, the parts
// of its value split at ':' (the last part keeps any further ':').
func (fs *fieldSet) selinuxContext(key name, names *[5]name) {
	i, _, ok := fs.get(key)
	if !ok {
		return
	}
	v := fs.val(i)
	fs.del(i)
	n := 0
	for ; n < len(names)-1; n++ {
		part, rest, found := strings.Cut(v, ":")
		if !found {
			break
		}
		fs.add(names[n], part)
		v = rest
	}
	fs.add(names[n], v)
}

// result replaces success (syscalls) or else res (other records) by result,
// "success" or "fail".
func (fs *fieldSet) result() {
	i, _, ok := fs.get(keySuccess)
	if !ok {
		if i, _, ok = fs.get(keyRes); !ok {
			return
		}
	}
	v := strings.ToLower(fs.val(i))
	fs.del(i)
	if v == "yes" || v == "1" || strings.HasPrefix(v, "suc") {
		fs.add(keyResult, "success")
	} else {
		fs.add(keyResult, "fail")
	}
}

// exitName replaces a negative exit by its errno name, when it has one.
func (fs *fieldSet) exitName() {
	i, _, ok := fs.get(keyExit)
	if !ok {
		return
	}
	code, err := strconv.Atoi(fs.val(i))
	if err != nil || code >= 0 {
		return
	}
	if name, ok := auparse.AuditErrnoToName[-code]; ok {
		fs.set(i, name)
	}
}

// ruleKeys removes key and sets r.Tags to the rule keys it holds: hex with
// keys separated by 0x01 when several rules matched, else one key, written
// as "key=NAME" by some tools.
func (fs *fieldSet) ruleKeys(r *Record) {
	i, quoted, ok := fs.get(keyKey)
	if !ok {
		return
	}
	v := fs.val(i)
	fs.del(i)
	if !quoted && isUpperHex(v) {
		r.Tags = strings.Split(fs.decoded(hexDecode(v, hexRaw)), "\x01")
		return
	}
	if _, name, found := strings.Cut(v, "="); found {
		v = name
	}
	// One key, the usual case, needs no allocation of its own.
	r.tag[0] = v
	r.Tags = r.tag[:]
}

// hexDecode decodes key's value if it was written in (uppercase) hex, NULs
// becoming spaces, and reports whether key exists.
func (fs *fieldSet) hexDecode(key name) bool {
	i, quoted, ok := fs.get(key)
	if !ok {
		return false
	}
	if v := fs.val(i); !quoted && isUpperHex(v) {
		fs.set(i, fs.decoded(hexDecode(v, hexNULToSpace)))
	}
	return true
}

// requireHexDecode is hexDecode for a key the record type must have.
func (fs *fieldSet) requireHexDecode(key name) error {
	if !fs.hexDecode(key) {
		return notFound(key)
	}
	return nil
}

// signalName replaces the signal number of a seccomp record by its name.
func (fs *fieldSet) signalName() error {
	i, _, ok := fs.get(keySig)
	if !ok {
		return notFound(keySig)
	}
	sig, err := strconv.Atoi(fs.val(i))
	if err != nil {
		return fmt.Errorf("failed to parse sig: %w", err)
	}
	if name := unix.SignalName(syscall.Signal(sig)); name != "" {
		fs.set(i, name)
	}
	return nil
}

// syscall names the architecture and the system call and decodes exe.
func (fs *fieldSet) syscall() error {
	i, _, ok := fs.get(keyArch)
	if !ok {
		return notFound(keyArch)
	}
	arch, err := parseHex64(fs.val(i))
	if err != nil {
		return fmt.Errorf("failed to parse arch: %w", err)
	}
	archName := auparse.AuditArch(arch).String()
	fs.set(i, archName)

	i, _, ok = fs.get(keySyscall)
	if !ok {
		return notFound(keySyscall)
	}
	nr, err := strconv.Atoi(fs.val(i))
	if err != nil {
		return fmt.Errorf("failed to parse syscall: %w", err)
	}
	if name, ok := auparse.AuditSyscalls[archName][nr]; ok {
		fs.set(i, name)
	}
	return fs.requireHexDecode(keyExe)
}

// execveArgs decodes the arguments a0 to a<argc-1> that are written in hex,
// up to their first NUL. All of them must exist.
func (fs *fieldSet) execveArgs() error {
	v, ok := fs.value(keyArgc)
	if !ok {
		return notFound(keyArgc)
	}
	argc, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		// auparse prints its internal field struct, {orig value}. orig is
		// cloned because fmt would otherwise make the escape analysis move
		// all of fs to the heap.
		orig := strings.Clone(fs.argcOrig)
		return fmt.Errorf("failed to convert argc='{%s %s}' to number: %w", orig, v, err)
	}
	var buf [16]byte
	for n := range argc {
		key := strconv.AppendUint(append(buf[:0], 'a'), n, 10)
		i, quoted, ok := fs.get(newName(string(key)))
		if !ok {
			return fmt.Errorf("failed to find arg a%d", n)
		}
		if arg := fs.val(i); !quoted && isUpperHex(arg) {
			fs.set(i, fs.decoded(hexDecode(arg, hexToNUL)))
		}
	}
	return nil
}
