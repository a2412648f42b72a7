#!/usr/bin/env bash
# Test harness: Debian's headless Chromium and ChromeDriver for the console's browser tests
# (tests/console_browser.rs, driven through WebDriver).
#
#   scripts/chromium.sh ensure   find chromium and chromedriver (PATH, /usr/bin); as root on
#                                Debian, install the packages `chromium` and `chromium-driver`
#                                when they are missing, and `fonts-wqy-microhei` (a CJK font,
#                                so that Chinese text renders in screenshots) when no CJK font
#                                is there; prints "CHROMEDRIVER CHROMIUM" (two paths) last
#
# Idempotent: nothing is installed when everything is there. Only the paths go to stdout, as the
# last line; progress goes to stderr. Exit status 127 when the tools are missing and cannot be
# installed (not root, or not Debian).
set -euo pipefail

say() { printf '[chromium.sh] %s\n' "$*" >&2; }
die() { printf '[chromium.sh] error: %s\n' "$*" >&2; exit 127; }

find_tool() {
    local name
    for name in "$@"; do
        if command -v "$name" >/dev/null 2>&1; then
            command -v "$name"
            return 0
        fi
    done
    return 1
}

find_driver() { find_tool chromedriver; }
find_browser() { find_tool chromium chromium-browser; }
have_cjk_font() { command -v fc-list >/dev/null 2>&1 && [[ -n "$(fc-list :lang=zh 2>/dev/null | head -n 1)" ]]; }

can_install() { [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; }

ensure() {
    local packages=() driver browser
    find_driver >/dev/null || packages+=(chromium-driver)
    find_browser >/dev/null || packages+=(chromium)
    have_cjk_font || packages+=(fonts-wqy-microhei)
    if ((${#packages[@]})); then
        if can_install; then
            say "installing ${packages[*]} (apt-get)"
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >&2
            apt-get install -y -qq --no-install-recommends "${packages[@]}" >&2
        elif ! find_driver >/dev/null || ! find_browser >/dev/null; then
            die "chromium and chromedriver are missing; install Debian's chromium and chromium-driver (as root: apt-get install -y chromium chromium-driver)"
        else
            say "warning: no CJK font (fonts-wqy-microhei): Chinese text shows as boxes in screenshots"
        fi
    fi
    driver="$(find_driver)" || die "chromedriver still missing after the install"
    browser="$(find_browser)" || die "chromium still missing after the install"
    say "$("$driver" --version 2>/dev/null | head -n 1); $("$browser" --version 2>/dev/null | head -n 1)"
    printf '%s %s\n' "$driver" "$browser"
}

case "${1:-}" in
    ensure) ensure ;;
    *) printf 'usage: %s ensure\n' "$0" >&2; exit 2 ;;
esac
