//go:build !windows

package record

import "testing"

// TestScanNumbersUsualShape puts every byte value at every place of a
// header of the usual shape, which scanNumbers reads from fixed places, and
// checks it against cutNumbers.
func TestScanNumbersUsualShape(t *testing.T) {
	const header = "(1795569936.330:2161): x"
	for i := 1; i < len(header); i++ {
		for c := range 256 {
			msg := []byte(header)
			msg[i] = byte(c)
			sec, msec, seq, end, ok := scanNumbers(msg, 0)
			wsec, wmsec, wseq, wend, wok := cutNumbers(msg, 0)
			if ok && (!wok || sec != wsec || msec != wmsec || seq != wseq || end != wend) {
				t.Fatalf("scanNumbers(%q) = %d, %d, %d, %d; cutNumbers: %d, %d, %d, %d, %v", msg, sec, msec, seq, end, wsec, wmsec, wseq, wend, wok)
			}
		}
	}
}
