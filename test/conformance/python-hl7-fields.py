"""Independent HL7 v2 reading for the conformance suite: Debian's python3-hl7 splits each file into
messages and fields; prints JSON {file: [[[segment fields as text], ...] per message]}.
Run with /usr/bin/python3; file paths are the arguments. Files are decoded as latin-1 (one
character per byte) so both readers see the same characters."""
import json
import re
import sys

import hl7


def messages_of(text):
    text = text.lstrip('\ufeff').lstrip('\xef\xbb\xbf')
    if re.match(r'\s*(FHS|BHS)', text):
        parsed = hl7.parse_file(text)
        return [m for batch in parsed for m in batch]
    starts = [m.start() for m in re.finditer(r'(?:^|(?<=[\r\n]))MSH', text)]
    if len(starts) > 1:
        return [hl7.parse(text[a:b]) for a, b in zip(starts, starts[1:] + [len(text)])]
    return [hl7.parse(text)]


out = {}
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        # Segments end with CR in HL7; files written with LF or CRLF are given to python3-hl7 with
        # CR (its parser splits on CR only), as Interlace reads them.
        text = f.read().decode('latin-1').replace('\r\n', '\r').replace('\n', '\r')
    try:
        out[path] = [[[str(field) for field in segment] for segment in message] for message in messages_of(text)]
    except Exception as exc:  # the oracle refuses the file: say so, the suite compares
        out[path] = {'error': type(exc).__name__}
print(json.dumps(out))
