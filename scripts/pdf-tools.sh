#!/usr/bin/env bash
# Installs Debian's poppler-utils when missing: pdftotext, pdfinfo, pdffonts and pdftoppm, with which the
# report tests read the PDFs back (core/reports/*.test.ts) and scripts/report-sample.ts renders the
# README's sample page. Idempotent; prints the folder the tools are in.
source "$(dirname "$0")/lib/common.sh"
ensure_commands pdftotext:poppler-utils
dirname "$(command -v pdftotext)"
