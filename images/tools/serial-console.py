# serial-console.py [--wait S] [--poke S] [--timeout S] T0 CMD...
#
# For the image checks (selftest.sh, debian/verify.sh), run inside a VM launcher's network
# namespace (nsenter -n): waits at most --wait seconds for a root prompt on the VM's serial
# console (the abstract socket @labhub-vm/serial), pressing Enter every --poke seconds, prints
# "prompt <seconds since T0>", then runs each CMD (each at most --timeout seconds) and prints
# its output without the echoed command line, the prompt or escape sequences.
import argparse, re, socket, sys, time

args = argparse.ArgumentParser()
args.add_argument("--wait", type=float, default=60)
args.add_argument("--poke", type=float, default=3)
args.add_argument("--timeout", type=float, default=30)
args.add_argument("t0", type=float)
args.add_argument("cmds", nargs="*")
opts = args.parse_args()

escape = rb"\x1b\[[0-9;?]*[A-Za-z]"
prompt = re.compile(rb"root@[^:\s]*:[^#\n]*# (" + escape + rb")*$")
end = time.time() + 60
while True:
    try:
        s = socket.socket(socket.AF_UNIX); s.connect("\0labhub-vm/serial"); break
    except OSError:
        if time.time() > end: sys.exit("no serial socket")
        time.sleep(0.02)
s.settimeout(0.05)
buf = b""
def rd():
    global buf
    try:
        c = s.recv(4096)
    except socket.timeout:
        return False
    if not c: raise EOFError("serial closed")
    buf += c
    return True
def until(t, poke=False):
    end, last = time.time() + t, time.time()
    while time.time() < end:
        rd()
        if prompt.search(buf[-300:]): return True
        if poke and time.time() - last > opts.poke: s.sendall(b"\r"); last = time.time()
    return False
if not until(opts.wait, poke=True): sys.exit("no prompt: " + buf.decode(errors="replace")[-800:])
print("prompt %.2f" % (time.time() - opts.t0), flush=True)
for cmd in opts.cmds:
    # Let the console settle, so that what follows is this command's output only.
    q = time.time()
    while time.time() - q < 0.3:
        if rd(): q = time.time()
    buf = b""
    s.sendall(cmd.encode() + b"\r")
    until(opts.timeout)
    out = re.sub(escape, b"", buf).decode(errors="replace").replace("\r", "")
    print("\n".join(out.split("\n")[1:-1]), flush=True)
