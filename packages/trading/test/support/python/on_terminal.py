"""Runs a command on a pseudo-terminal of its own, as a shell in a terminal window would
(the command leads its session; the terminal is its controlling terminal), then closes the
terminal as a closed window or a dropped ssh session does: the kernel sends SIGHUP.

    python3 on_terminal.py COMMAND [ARG...]

Prints what the command writes to the terminal until a line that starts with "pid " (or with
$ON_TERMINAL_READY when set), then "CHILD <its pid>" and "READY", then waits for a line on its standard input; closes the terminal, waits for the
command and prints "EXIT <code>" (or "SIGNAL <name>"). Its own standard input closing also
closes the terminal.
"""
import os
import pty
import signal
import sys

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
sys.stdin.readline()
os.close(fd)
_, status = os.waitpid(pid, 0)
if os.WIFSIGNALED(status):
    print("SIGNAL " + signal.Signals(os.WTERMSIG(status)).name)
else:
    print("EXIT %d" % os.WEXITSTATUS(status))
sys.stdout.flush()
