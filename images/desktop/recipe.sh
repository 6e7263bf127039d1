# shellcheck shell=bash
# shellcheck disable=SC2034  # RECIPE_* are read by images/build.sh
# labhub/desktop — labhub/shell + a VNC desktop: TigerVNC's Xvnc on TCP 5900
# (display :0, no VNC auth), openbox + tint2, xterm, pcmanfm.
# Command: /usr/local/bin/labhub-desktop (see that script for its environment).
# Same image for clusters: images/desktop/Containerfile.
# shellcheck source=../shell/recipe.sh
# shellcheck disable=SC1091
source "$LABHUB_IMAGES_DIR/shell/recipe.sh"
RECIPE_KIND=container
RECIPE_BASES=(shell)
RECIPE_ESTIMATE='about 1.5 min'
RECIPE_KEEP_MAN=1
DESKTOP_PACKAGES=(tigervnc-standalone-server openbox tint2 xterm pcmanfm
  x11-xserver-utils xfonts-base fonts-dejavu-core adwaita-icon-theme
  dbus-x11) # dbus-x11: a dbus-session-bus provider (debootstrap does not pick providers of virtual packages)
RECIPE_PACKAGES=("${SHELL_PACKAGES[@]}" "${DESKTOP_PACKAGES[@]}")
RECIPE_CHANGES=("${SHELL_CHANGES[@]}" 'ENV DISPLAY=:0' 'EXPOSE 5900/tcp'
  'CMD ["/usr/local/bin/labhub-desktop"]')
recipe_customize() {
  shell_customize "$1"
  chmod 0755 "$1/usr/local/bin/labhub-desktop"
  # openbox's default rc.xml also reads the (absent) Debian menu: give it an empty one
  mkdir -p "$1/var/lib/openbox"
  printf '<openbox_menu xmlns="http://openbox.org/3.4/menu"/>\n' >"$1/var/lib/openbox/debian-menu.xml"
}
