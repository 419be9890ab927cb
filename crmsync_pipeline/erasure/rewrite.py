"""After an erasure, the state file is rewritten (state/rewrite.py) so the person's values are gone
from its bytes too, not only from its tables. It happens once per batch of erasures, when no connection
holds the file: at the end of the writes step that erased (the run's own), at the next Sync Health
report if that was not possible, and in `crmsync forget` right after it erases. The last erasure a
rewrite covered is kept as a cursor (crm `crmsync`, object `state:rewritten_after_erasure`), so a run
without new erasures costs one query."""

from __future__ import annotations

import logging
from pathlib import Path

from crmsync_pipeline.extract.cursors import cursor_of, save_cursor
from crmsync_pipeline.state import db
from crmsync_pipeline.state.rewrite import StateInUse, rewrite_state_file

CURSOR_CRM, CURSOR_KEY = "crmsync", "state:rewritten_after_erasure"
log = logging.getLogger(__name__)


def erasures_pending(state_path: Path) -> bool:
    """Whether an erasure happened since the state file was last rewritten."""
    if not state_path.exists():
        return False
    with db.connect(state_path) as con:
        latest = con.execute("SELECT max(erased_at) FROM erasures").fetchall()[0][0]
        done = cursor_of(con, CURSOR_CRM, CURSOR_KEY)
    return latest is not None and (done is None or done < latest)


def rewrite_after_erasure(state_path: Path, run_id: str = "") -> bool:
    """Rewrite the state file if an erasure happened since its last rewrite; True when rewritten.
    A file held elsewhere is left for the next try (a warning says so)."""
    if not erasures_pending(state_path):
        return False
    with db.connect(state_path) as con:
        latest = con.execute("SELECT max(erased_at) FROM erasures").fetchall()[0][0]
    try:
        rewrite_state_file(state_path)
    except StateInUse as err:
        log.warning("the state file keeps an erased person's bytes until it can be rewritten: %s", err)
        return False
    save_cursor(state_path, CURSOR_CRM, CURSOR_KEY, latest, 0, run_id)
    return True
