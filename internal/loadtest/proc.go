package loadtest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// userHZ is the unit of the CPU times in /proc/<pid>/stat (USER_HZ, which
// the kernel fixes at 100 for user space on every mainstream architecture).
const userHZ = 100

// ParseProcStat returns utime+stime from the contents of /proc/<pid>/stat.
// The command name (field 2) may hold spaces and parentheses, so fields are
// counted from the last ')'.
func ParseProcStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("proc stat: no command name")
	}
	// After ")": state(3) ppid(4) ... utime(14) stime(15).
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("proc stat: %d fields after the command name", len(f))
	}
	ut, err1 := strconv.ParseUint(string(f[11]), 10, 64)
	st, err2 := strconv.ParseUint(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("proc stat: bad utime/stime")
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}

// ReadCPU returns the CPU time (user + system) a process has used so far.
func ReadCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return ParseProcStat(b)
}

// ReadCPUs sums ReadCPU over pids; unreadable processes count as 0.
func ReadCPUs(pids []int) time.Duration {
	var sum time.Duration
	for _, p := range pids {
		if d, err := ReadCPU(p); err == nil {
			sum += d
		}
	}
	return sum
}

// ParseStatusKB returns a "kB" field ("VmRSS", "VmHWM", …) of the contents
// of /proc/<pid>/status, in bytes.
func ParseStatusKB(b []byte, field string) (int64, error) {
	prefix := []byte(field + ":")
	for line := range bytes.Lines(b) {
		rest, ok := bytes.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("proc status: %s: unexpected %q", field, bytes.TrimSpace(rest))
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc status: %s: %w", field, err)
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("proc status: no %s", field)
}

// ParseSystemBusy returns the busy CPU time of the whole machine (all
// cores: user, nice, system, irq, softirq, steal) from the contents of
// /proc/stat.
func ParseSystemBusy(b []byte) (time.Duration, error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, errors.New("proc stat: no cpu line")
	}
	var busy uint64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system irq softirq steal
		v, err := strconv.ParseUint(string(f[i]), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("proc stat: %w", err)
		}
		busy += v
	}
	return time.Duration(busy) * time.Second / userHZ, nil
}

// ReadSystemBusy returns ParseSystemBusy of /proc/stat, 0 when unreadable.
func ReadSystemBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	d, _ := ParseSystemBusy(b)
	return d
}

// ReadStatus returns a "kB" field of /proc/<pid>/status in bytes.
func ReadStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	return ParseStatusKB(b, field)
}

// ResetPeakRSS resets a process's VmHWM to its current RSS (clear_refs 5).
func ResetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}
