//go:build linux

package kernel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/auparse"
	"golang.org/x/sys/unix"
)

// netlinkSocket is the data socket. It implements go-libaudit's
// NetlinkSendReceiver so that AuditClient still speaks the protocol, but it
// is ours because go-libaudit's NetlinkClient hides its descriptor: we need
// it to size the receive buffer and to wait in poll(2) on the socket and an
// eventfd, so that Shutdown can wake a blocked reader (closing a descriptor
// does not wake a thread blocked in recvfrom on Linux).
type netlinkSocket struct {
	fd     int
	wakeFd int // eventfd written by interrupt
	portID uint32
	seq    atomic.Uint32
	buf    []byte      // replies read through Receive
	batch  *batch      // audit records read through receive
	woken  atomic.Bool // set by interrupt
	// receiveBuffer is the receive buffer the kernel granted, in bytes.
	receiveBuffer int
}

func openNetlinkSocket(groups uint32, receiveBuffer int) (*netlinkSocket, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_AUDIT)
	if err != nil {
		return nil, fmt.Errorf("open audit netlink socket: %w", err)
	}
	s := &netlinkSocket{fd: fd, wakeFd: -1, buf: make([]byte, unix.NLMSG_HDRLEN+libaudit.AuditMessageMaxLength), batch: newBatch()}
	if err := s.init(groups, receiveBuffer); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

func (s *netlinkSocket) init(groups uint32, receiveBuffer int) error {
	if receiveBuffer > 0 {
		// SO_RCVBUFFORCE ignores net.core.rmem_max but needs CAP_NET_ADMIN.
		if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, receiveBuffer); err != nil {
			if err := unix.SetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, receiveBuffer); err != nil {
				return fmt.Errorf("set socket_buffer_size %d: %w", receiveBuffer, err)
			}
		}
	}
	// SO_RCVBUF silently caps the size at net.core.rmem_max; the kernel
	// reports twice what it granted (its bookkeeping overhead).
	if granted, err := unix.GetsockoptInt(s.fd, unix.SOL_SOCKET, unix.SO_RCVBUF); err == nil {
		s.receiveBuffer = granted / 2
	}
	if err := unix.Bind(s.fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK, Groups: groups}); err != nil {
		if groups != 0 && errors.Is(err, unix.EPERM) {
			return fmt.Errorf("joining the audit multicast group needs CAP_AUDIT_READ: %w", err)
		}
		return fmt.Errorf("bind audit netlink socket: %w", err)
	}
	sa, err := unix.Getsockname(s.fd)
	if err != nil {
		return fmt.Errorf("getsockname on audit netlink socket: %w", err)
	}
	if nl, ok := sa.(*unix.SockaddrNetlink); ok {
		s.portID = nl.Pid
	}
	s.wakeFd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return fmt.Errorf("eventfd: %w", err)
	}
	return nil
}

// Send implements libaudit.NetlinkSender.
func (s *netlinkSocket) Send(msg syscall.NetlinkMessage) (uint32, error) {
	return s.send(msg, 0)
}

// SendNoWait implements libaudit.NetlinkSender.
func (s *netlinkSocket) SendNoWait(msg syscall.NetlinkMessage) (uint32, error) {
	return s.send(msg, unix.MSG_DONTWAIT)
}

func (s *netlinkSocket) send(msg syscall.NetlinkMessage, flags int) (uint32, error) {
	if msg.Header.Pid == 0 {
		msg.Header.Pid = s.portID
	}
	msg.Header.Seq = s.seq.Add(1)
	msg.Header.Len = uint32(unix.SizeofNlMsghdr + len(msg.Data))
	b := make([]byte, msg.Header.Len)
	*(*syscall.NlMsghdr)(unsafe.Pointer(&b[0])) = msg.Header
	copy(b[unix.SizeofNlMsghdr:], msg.Data)
	return msg.Header.Seq, unix.Sendto(s.fd, b, flags, &unix.SockaddrNetlink{Family: unix.AF_NETLINK})
}

// Receive implements libaudit.NetlinkReceiver. The returned data is backed
// by the read buffer until the next call.
func (s *netlinkSocket) Receive(nonBlocking bool, parse libaudit.NetlinkParser) ([]syscall.NetlinkMessage, error) {
	flags := 0
	if nonBlocking {
		flags = unix.MSG_DONTWAIT
	}
	n, from, err := unix.Recvfrom(s.fd, s.buf, flags)
	if err != nil {
		return nil, err
	}
	if n < unix.NLMSG_HDRLEN {
		return nil, fmt.Errorf("netlink message too short: %d bytes", n)
	}
	if nl, ok := from.(*unix.SockaddrNetlink); !ok || nl.Pid != 0 {
		return nil, errors.New("netlink message was not sent by the kernel")
	}
	return parse(s.buf[:n])
}

// receiveBatch is how many messages one recvmmsg(2) reads at most. Under
// load every event is several messages (five for a file syscall); reading
// them one recvfrom(2) at a time cost a system call, and a chance to be
// switched out on its return, per message.
const receiveBatch = 32

// mmsghdr is struct mmsghdr; x/sys/unix has no recvmmsg wrapper. The
// compiler pads it as C does (to the alignment of Msghdr).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// batch holds the messages of the last recvmmsg(2) not yet handed out.
type batch struct {
	hdrs  [receiveBatch]mmsghdr
	iovs  [receiveBatch]unix.Iovec
	addrs [receiveBatch]unix.RawSockaddrNetlink
	bufs  [receiveBatch][]byte
	n     int // messages read by the last recvmmsg(2)
	next  int // the next of them to hand out
}

func newBatch() *batch {
	b := &batch{}
	for i := range b.bufs {
		b.bufs[i] = make([]byte, unix.NLMSG_HDRLEN+libaudit.AuditMessageMaxLength)
		b.iovs[i].Base = &b.bufs[i][0]
		b.iovs[i].SetLen(len(b.bufs[i]))
		b.hdrs[i].hdr.Iov = &b.iovs[i]
		b.hdrs[i].hdr.SetIovlen(1)
		b.hdrs[i].hdr.Name = (*byte)(unsafe.Pointer(&b.addrs[i]))
	}
	return b
}

// receive hands out one message without waiting into msg, whose Data is
// backed by a read buffer until the next call, reading a batch of messages
// when none is left. It is what AuditClient.Receive does over Receive,
// without its three allocations per message (the source address, a message
// slice and the RawAuditMessage). Like go-libaudit, it takes the whole
// datagram after the header as the data: the kernel sets nlmsg_len wrongly
// on some audit records.
func (s *netlinkSocket) receive(msg *libaudit.RawAuditMessage) error {
	b := s.batch
	if b.next == b.n {
		b.next, b.n = 0, 0
		for i := range b.hdrs {
			b.hdrs[i].hdr.Namelen = unix.SizeofSockaddrNetlink
		}
		// An error after some messages were read is returned by the next call.
		n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(s.fd),
			uintptr(unsafe.Pointer(&b.hdrs[0])), receiveBatch, unix.MSG_DONTWAIT, 0, 0)
		if errno != 0 {
			return errno
		}
		b.n = int(n)
	}
	i := b.next
	b.next++
	n := int(b.hdrs[i].len)
	if n < unix.NLMSG_HDRLEN {
		return fmt.Errorf("netlink message too short: %d bytes", n)
	}
	if from := &b.addrs[i]; from.Family != unix.AF_NETLINK || from.Pid != 0 {
		return errors.New("netlink message was not sent by the kernel")
	}
	header := (*unix.NlMsghdr)(unsafe.Pointer(&b.bufs[i][0]))
	msg.Type = auparse.AuditMessageType(header.Type)
	msg.Data = b.bufs[i][unix.NLMSG_HDRLEN:n]
	return nil
}

// buffered tells whether receive has messages left from its last read.
func (s *netlinkSocket) buffered() bool {
	return s.batch.next < s.batch.n
}

// wait blocks until the socket is readable (true), the timeout passes
// (false) or interrupt is called (ErrInterrupted).
func (s *netlinkSocket) wait(timeout time.Duration) (bool, error) {
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: unix.POLLIN}, {Fd: int32(s.wakeFd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(timeout.Milliseconds()))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return false, fmt.Errorf("poll audit netlink socket: %w", err)
		}
		switch {
		case fds[1].Revents != 0:
			return false, ErrInterrupted
		case n == 0:
			return false, nil
		default:
			// Readable, or POLLERR for an overrun: the next recvfrom returns ENOBUFS.
			return true, nil
		}
	}
}

// interrupt wakes a reader blocked in wait; it stays signaled.
func (s *netlinkSocket) interrupt() {
	s.woken.Store(true)
	_, _ = unix.Write(s.wakeFd, binary.NativeEndian.AppendUint64(nil, 1))
}

// interrupted tells whether interrupt was called, for a reader that does
// not wait because messages are queued.
func (s *netlinkSocket) interrupted() bool {
	return s.woken.Load()
}

// Close implements io.Closer.
func (s *netlinkSocket) Close() error {
	if s.wakeFd >= 0 {
		_ = unix.Close(s.wakeFd)
	}
	return unix.Close(s.fd)
}
