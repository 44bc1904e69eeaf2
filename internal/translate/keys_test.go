//go:build !windows

package translate

import (
	"strconv"
	"sync"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeyCacheBoundedAndConcurrent(t *testing.T) {
	c := keyCache{build: prefixed("p.")}
	const workers = 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every worker asks for every name, twice as many as the cache holds.
			for i := range 2 * maxCachedKeys {
				name := strconv.Itoa((i + w*97) % (2 * maxCachedKeys))
				assert.Equal(t, "p."+name, c.key(name))
			}
		}()
	}
	wg.Wait()
	keys := cached(&c)
	require.NotNil(t, keys)
	assert.Len(t, keys, maxCachedKeys, "the cache stops growing at its bound")
	for name, key := range keys {
		assert.Equal(t, "p."+name, key)
	}
}

// cached returns what c holds, nil if nothing, failing on a field held twice.
func cached(c *keyCache) map[string]string {
	t := c.table.Load()
	if t == nil {
		return nil
	}
	m := map[string]string{}
	for _, s := range t.slots {
		if s.field != "" {
			if _, dup := m[s.field]; dup {
				panic("field cached twice: " + s.field)
			}
			m[s.field] = s.key
		}
	}
	if len(m) != t.n {
		panic("table count is off")
	}
	return m
}

func TestKeyCacheKeepsOnlyTheFieldsBytes(t *testing.T) {
	c := keyCache{build: prefixed("p.")}
	buf := []byte("comm=a")
	field := unsafe.String(&buf[0], 4) // aliases the buffer, as the parser's fields do
	assert.Equal(t, "p.comm", c.key(field))
	copy(buf, "xxxx") // the buffer is reused for the next record
	_, ok := cached(&c)["comm"]
	assert.True(t, ok, "the cached name does not alias the record's buffer")
}

// TestKeyCacheTellsFieldsApart asks for fields of every length up to past
// where the cache stops comparing them as words, differing in one byte, NUL
// included, or in their length only.
func TestKeyCacheTellsFieldsApart(t *testing.T) {
	c := keyCache{build: prefixed("p.")}
	var fields []string
	for n := range 12 {
		base := []byte("abcdefghijkl"[:n])
		fields = append(fields, string(base), string(append(base, 0)))
		for i := range n {
			for _, b := range []byte{0, 'z'} {
				f := []byte(string(base))
				f[i] = b
				fields = append(fields, string(f))
			}
		}
	}
	for range 2 { // cached the second time
		for _, f := range fields {
			require.Equal(t, "p."+f, c.key(f))
		}
	}
}
