"""Runs a command on a pseudo-terminal of its own, as a shell in a terminal window would
(the command leads its session; the terminal is its controlling terminal), then closes the
terminal as a closed window or a dropped ssh session does: the kernel sends SIGHUP.

    python3 on_terminal.py COMMAND [ARG...]

Prints what the command writes to the terminal until a line that starts with "pid " (or with
$ON_TERMINAL_READY when set), then "CHILD <its pid>" and "READY". Then reads lines on its
standard input:
  close        closes the terminal (so does the end of its standard input), waits for the
               command and prints "EXIT <code>" (or "SIGNAL <name>");
  pause        stops the terminal's output, as Ctrl-S (XOFF) does: the command's next write to
               it blocks (what it wrote before is read first);
  blocked      waits until the command's main thread is blocked writing to the terminal (read
               from /proc), then prints "BLOCKED";
  signal NAME  sends that signal to the command, and waits until a thread of it has taken it.
"""
import os
import platform
import pty
import select
import signal
import sys

# write(2)'s number, as /proc/PID/syscall names it
WRITE = {"x86_64": 1, "aarch64": 64}.get(platform.machine())


def writing_to_terminal(pid):
    """Whether the command's main thread is blocked in a write to its terminal (node writes to
    a descriptor of its own for the terminal, not to 1 or 2)."""
    try:
        with open("/proc/%d/syscall" % pid) as f:
            fields = f.read().split()
        if len(fields) < 2 or fields[0] != str(WRITE):
            return False
        written = os.readlink("/proc/%d/fd/%d" % (pid, int(fields[1], 16)))
        return written == os.readlink("/proc/%d/fd/2" % pid)
    except PermissionError:
        raise  # /proc not readable here: said at once rather than waited on
    except OSError:
        return False


def delivering(pid, sig):
    """Whether `sig` sent to the command is still pending (no thread has taken it yet)."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("ShdPnd:"):
                    return bool(int(line.split()[1], 16) & (1 << (sig - 1)))
    except OSError:
        pass
    return False


pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])

marker = b"\n" + os.environ.get("ON_TERMINAL_READY", "pid ").encode()
seen = b""
while marker not in b"\n" + seen:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
sys.stdout.write(seen.decode("utf-8", "replace").replace("\r\n", "\n"))
sys.stdout.write("\nCHILD %d\nREADY\n" % pid)
sys.stdout.flush()
for line in sys.stdin:
    words = line.split()
    if words[:1] == ["close"]:
        break
    if words[:1] == ["pause"]:
        os.write(fd, b"\x13")
    elif words[:1] == ["blocked"]:
        if WRITE is None:
            sys.exit("on_terminal.py: write(2)'s number on %s is not known here" % platform.machine())
        # what it wrote before the pause is read, so that only the pause can block it; a
        # command that ends first is said at once (its status below), not waited on
        while not writing_to_terminal(pid):
            if select.select([fd], [], [], 0.01)[0]:
                try:
                    os.read(fd, 4096)
                except OSError:
                    print("ENDED BEFORE BLOCKED")
                    break
        print("BLOCKED")
        sys.stdout.flush()
    elif words[:1] == ["signal"]:
        sig = getattr(signal, words[1])
        os.kill(pid, sig)
        # taken by a handler before what comes next: two signals pending at once are taken
        # lowest number first, which would put a later SIGHUP ahead of this one
        while delivering(pid, sig):
            select.select([], [], [], 0.001)
os.close(fd)
_, status = os.waitpid(pid, 0)
if os.WIFSIGNALED(status):
    print("SIGNAL " + signal.Signals(os.WTERMSIG(status)).name)
else:
    print("EXIT %d" % os.WEXITSTATUS(status))
sys.stdout.flush()
