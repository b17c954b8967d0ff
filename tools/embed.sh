#!/bin/sh
# embed.sh FILE NAME: print a C file defining the bytes of FILE as NAME[] and NAME_len, so that
# the app serves its static assets from memory and needs no files beside the binary.
set -eu
file=$1 name=$2
printf '/* generated from %s by tools/embed.sh: do not edit */\n#include <stddef.h>\n' "$file"
printf 'const unsigned char %s[] = {\n' "$name"
od -An -v -tx1 "$file" | sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'
printf '};\nconst size_t %s_len = sizeof %s;\n' "$name" "$name"
