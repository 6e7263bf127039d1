# shellcheck shell=bash disable=SC1090
# labhub: tty1 (the VM's screen) runs the graphical session; other logins get a shell
[ -f ~/.profile ] && . ~/.profile
if [ -z "${DISPLAY:-}" ] && [ "$(tty)" = /dev/tty1 ]; then
  # the screen's DRM device (bochs, loaded by udev) may come a moment after the login
  i=0
  while [ ! -e /dev/dri/card0 ] && [ "$i" -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
  startx /usr/local/bin/labhub-session -- :0 vt1 -nolisten tcp >"$HOME/.xsession-errors" 2>&1
  sleep 2
  exit
fi
