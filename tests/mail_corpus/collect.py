"""How the corpus was picked (kept for the record; the tests never run it).

Copies messages out of local git mirrors of the projects named in SOURCES, at the
commit named, byte for byte, into tests/mail_corpus/<project>/, with each project's
licence file, and writes MANIFEST.tsv (file, repository, path, commit, licence).
Usage: python tests/mail_corpus/collect.py MIRRORS_DIR  (MIRRORS_DIR/<owner>+<name>/repo)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
LIMIT = 100_000  # bytes: a fair sample, not the projects' stress files

# project dir, repository, licence, licence files to copy, path patterns
SOURCES = [
    ("mikel-mail", "mikel/mail", "MIT", ["MIT-LICENSE"],
     [r"^spec/fixtures/emails/.+\.eml$"]),
    ("mail-mime-parser", "zbateson/mail-mime-parser", "BSD-2-Clause", ["LICENSE",
     "tests/_data/emails/README.md"],
     [r"^tests/_data/emails/[^/]+\.txt$"]),
    ("stalwart-mail-parser", "stalwartlabs/mail-parser", "Apache-2.0 OR MIT (Dovecot test files: MIT)",
     ["LICENSES/Apache-2.0.txt", "LICENSES/MIT.txt", "resources/eml/thirdparty/COPYING"],
     [r"^resources/eml/(rfc|thirdparty|malformed)/\d+\.eml$"]),
    ("flanker", "mailgun/flanker", "Apache-2.0", ["LICENSE"],
     [r"^tests/fixtures/messages/(bounce/|complaints/|spam/)?[^/]+\.eml$"]),
    ("sisimai-set-of-emails", "sisimai/set-of-emails", "BSD-2-Clause", ["LICENSE"],
     [r"^maildir/bsd/[a-z0-9-]+-01\.eml$", r"^maildir/bsd/rfc3834-0[2-4]\.eml$"]),
    ("django-mailbox", "coddingtonbear/django-mailbox", "MIT", ["LICENSE"],
     [r"^django_mailbox/tests/messages/[^/]+\.eml$"]),
    ("mimekit", "jstedfast/MimeKit", "MIT", ["LICENSE"],
     [r"^UnitTests/TestData/messages/(?!.*anonymized)[^/]+\.txt$",
      r"^UnitTests/TestData/tnef/ukr\.eml$", r"^UnitTests/TestData/partial/rfc2046\.eml$"]),
    ("nodemailer-mailparser", "nodemailer/mailparser", "MIT", ["LICENSE"],
     [r"^test/fixtures/[^/]+\.eml$"]),
    ("postal-mime", "postalsys/postal-mime", "MIT", ["LICENSE.txt"],
     [r"^test/fixtures/[^/]+\.eml$"]),
    ("spamscope-mail-parser", "SpamScope/mail-parser", "Apache-2.0", ["LICENSE.txt"],
     [r"^tests/mails/mail_test_(9|12)$"]),
]  # fmt: skip


def git(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def main(mirrors: Path) -> None:
    rows = ["file\trepository\tpath\tcommit\tlicence"]
    for project, repository, licence, notices, patterns in SOURCES:
        repo = mirrors / repository.replace("/", "+") / "repo"
        commit = git(repo, "rev-parse", "HEAD").decode().strip()
        target = HERE / project
        target.mkdir(exist_ok=True)
        for notice in notices:
            name = notice.replace("/", "_")
            (target / name).write_bytes(git(repo, "show", f"{commit}:{notice}"))
        listing = git(repo, "ls-tree", "-r", "-l", commit).decode().splitlines()
        for line in listing:
            meta, path = line.split("\t", 1)
            size = meta.split()[3]
            if not size.isdigit() or int(size) > LIMIT:
                continue
            if not any(re.match(p, path) for p in patterns):
                continue
            data = git(repo, "show", f"{commit}:{path}")
            if not data.strip():
                continue
            name = path.rsplit("/", 2)
            flat = "_".join(name[-2:]) if len(name) > 1 else name[-1]
            flat = re.sub(r"\.(txt|eml)$", "", flat) + ".eml"  # mail_test_9 too
            (target / flat).write_bytes(data)
            rows.append(f"{project}/{flat}\t{repository}\t{path}\t{commit}\t{licence}")
    (HERE / "MANIFEST.tsv").write_text("\n".join(rows) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
