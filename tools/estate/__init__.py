"""The simulated estate: a test double of the TREASURY'S systems (never of Hotro's own).

The shipped checks file names the real hosts (tabmis.…, the provinces' servers, the WAN
lines), which do not resolve on a developer's machine. So that monitoring can be seen at work
there, `make run` starts this simulator on loopback and points the checks at it:

- model.py          what can go down (systems, channels) and their live state
- inventory.py      what to simulate: the morning round's systems and the shipped checks file
- http_systems.py   the systems' pages and sign-in forms (one port, a path prefix each)
- mail_greetings.py MAIL's SMTP (aiosmtpd) and IMAP greetings
- wan.py, tcp.py    one loopback port per WAN channel; listeners that close while down
- credentials.py    the monitoring account's generated passwords (0600 files)
- checks_out.py     the checks file pointing every shipped check at the simulator
- control.py        the control port the CLI talks to; serve.py runs it all; launcher.py starts
                    it as a process and waits until it is ready
"""

from tools.estate.launcher import EstateProcess

__all__ = ["EstateProcess"]
