"""Compiled (numba) per-document loops of ``strip_boilerplate``: language votes, document
features, context features and the removal rules.

Each loop redoes, over every document of a batch at once, what the scalar definition did
with numpy on one document, with the same floating-point operations in the same order:
means are numpy's pairwise sums (`pairwise_sum`), running sums are sequential, so every
value equals what the per-document code gave, bit for bit. Logarithms are left to the
caller (``np.log1p`` and ``math.log1p`` differ in the last bit on some integers).

Compiled on first use and cached next to this file (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros

#: Reason codes of `line_reasons` (0: keep).
KEEP, REPEATED, PHRASE, CREDIT, EDGE_SHORT, LOW_CONTENT = range(6)


@njit(cache=True, nogil=True)
def pairwise_sum(x, start, n):
    """``x[start:start + n].sum()`` as numpy computes it (pairwise, blocks of 8)."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += x[i]
        return total
    if n <= 128:
        r = x[start : start + 8].copy()
        i = 8
        while i < n - (n % 8):
            for j in range(8):
                r[j] += x[start + i + j]
            i += 8
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            total += x[start + i]
            i += 1
        return total
    half = n // 2
    half -= half % 8
    return pairwise_sum(x, start, half) + pairwise_sum(x, start + half, n - half)


@njit(cache=True, nogil=True)
def detect_languages(
    doc_words, word_ids, detect_count, detect_masks, lang_offsets, lang_index, n_langs, limit
):  # fmt: skip
    """Return, per document, the language `stopwords.detect_language` votes for, and its hits.

    Reads the first `limit` letter runs of each document (``doc_words`` are their offsets
    in `word_ids`); the words below `detect_count` are the detection words, word `w`'s
    languages ``lang_index[lang_offsets[w]:lang_offsets[w + 1]]`` and the bits of
    ``detect_masks[w]`` (at most 64 languages). Ties go to the language voted for first,
    as ``Counter.most_common`` returns them. -1: no vote.

    The words that vote (44% of them in the bench corpus) are gathered first, without a
    branch; their votes are counted from the bit masks with no branch (a vector loop
    over the languages); only a word that brings a language not voted for yet is read
    in list order, for the ties.
    """
    docs = len(doc_words) - 1
    best_language = np.full(docs, -1, dtype=np.int64)
    best_votes = np.zeros(docs, dtype=np.int64)
    votes = np.zeros(n_langs, dtype=np.int64)
    order = np.zeros(n_langs, dtype=np.int64)
    voters = np.empty(max(limit, 0) + 1, dtype=np.int64)  # the document's voting words
    for d in range(docs):
        votes[:] = 0
        order[:] = -1
        introduced = 0
        seen = np.uint64(0)
        count = 0
        for t in range(doc_words[d], min(doc_words[d + 1], doc_words[d] + limit)):
            w = min(word_ids[t], detect_count)
            voters[count] = w
            count += detect_masks[w] != 0  # kept where it votes (no branch)
        for x in range(count):
            w = voters[x]
            bits = detect_masks[w]
            for language in range(n_langs):
                votes[language] += (bits >> np.uint64(language)) & np.uint64(1)
            if bits & ~seen:
                seen |= bits
                for y in range(lang_offsets[w], lang_offsets[w + 1]):
                    language = lang_index[y]
                    if order[language] < 0:
                        order[language] = introduced
                        introduced += 1
        best = -1
        for language in range(n_langs):
            if order[language] >= 0 and (
                best < 0
                or votes[language] > votes[best]
                or (votes[language] == votes[best] and order[language] < order[best])
            ):
                best = language
        if best >= 0:
            best_language[d], best_votes[d] = best, votes[best]
    return best_language, best_votes


@njit(cache=True, nogil=True)
def _run_lengths(flags, a, b, out):
    """``out[i]``: length of the run of true `flags` line i is in, within ``[a, b)``."""
    start = a
    for i in range(a + 1, b + 1):
        if i == b or flags[i] != flags[start]:
            if flags[start]:
                for j in range(start, i):
                    out[j] = i - start
            start = i


@njit(cache=True, nogil=True)
def document_features(doc_starts, end_sentence, prose, bullet, short, stop_density, log_chars):
    """Per line, the document-wide inputs of the named features (`_document_features`).

    Returns ``(rel_position, short_share, stop_mean, bullet_share, median_log_chars,
    run_no_sentence, run_bullets, in_main_block, prose_before, prose_after, distance)``;
    `distance` is -1 in a document without prose.
    """
    n = len(end_sentence)
    rel_position = np.zeros(n)
    short_share = np.zeros(n)
    stop_mean = np.zeros(n)
    bullet_share = np.zeros(n)
    median = np.zeros(n)
    run_no_sentence = np.zeros(n, dtype=np.int64)
    run_bullets = np.zeros(n, dtype=np.int64)
    in_main_block = np.zeros(n, dtype=np.bool_)
    before = np.zeros(n, dtype=np.bool_)
    after = np.zeros(n, dtype=np.bool_)
    distance = np.full(n, -1, dtype=np.int64)
    no_sentence = ~end_sentence
    for d in range(len(doc_starts) - 1):
        a, b = doc_starts[d], doc_starts[d + 1]
        count = b - a
        if count == 0:
            continue
        shorts = bullets = 0
        for i in range(a, b):
            rel_position[i] = (i - a) / (count - 1) if count > 1 else 0.0
            shorts += short[i]
            bullets += bullet[i]
        mean = pairwise_sum(stop_density, a, count) / count
        chars = np.sort(log_chars[a:b])
        middle = count // 2
        med = chars[middle] if count % 2 else (chars[middle - 1] + chars[middle]) / 2
        for i in range(a, b):
            short_share[i] = shorts / count
            bullet_share[i] = bullets / count
            stop_mean[i] = mean
            median[i] = med
        _run_lengths(no_sentence, a, b, run_no_sentence)
        _run_lengths(bullet, a, b, run_bullets)
        # the run of prose lines (gaps of at most 2) with most prose: the main block
        best_start = best_stop = best_size = size = 0
        run_start = previous = -1
        first = last = -1
        for i in range(a, b):
            if not prose[i]:
                continue
            if first < 0:
                first = i
            last = i
            if previous >= 0 and i - previous - 1 > 2:
                size = 0
                run_start = i
            if run_start < 0:
                run_start = i
            size += 1
            if size > best_size:
                best_start, best_stop, best_size = run_start, i + 1, size
            previous = i
        if best_size:
            in_main_block[best_start:best_stop] = True
        if first < 0:
            continue
        nearest = -1
        for i in range(a, b):  # distance to the nearest prose line, before or after
            if prose[i]:
                nearest = i
            before[i] = i > first
            after[i] = i < last
            distance[i] = i - nearest if nearest >= 0 else b
        nearest = -1
        for i in range(b - 1, a - 1, -1):
            if prose[i]:
                nearest = i
            if nearest >= 0 and nearest - i < distance[i]:
                distance[i] = nearest - i
    return (
        rel_position, short_share, stop_mean, bullet_share, median, run_no_sentence,
        run_bullets, in_main_block, before, after, distance,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def line_reasons(
    doc_starts,
    forced,
    end,
    log_words,
    stop,
    repeated,
    unspaced,
    pair_repeats,
    scores,
    cut,
    sentence_log_words,
    heading_min_log_words,
    heading_log_words,
    prose_stop,
    unspaced_prose,
    prose_cut,
    prose_scored_log_words,
    island_margin,
    island_log_words,
):
    """The removal reason of every line (see ``boilerplate.decide``), per document.

    `forced`: PHRASE or CREDIT from the phrase rules, else KEEP; `pair_repeats[j]`: lines j
    and j + 1 are both short, have repeat keys, and that pair of keys occurs twice or
    more in the document.
    """
    reasons = forced.copy()
    for d in range(len(doc_starts) - 1):
        a, b = doc_starts[d], doc_starts[d + 1]
        last = -1  # the last content sentence kept by the scorer or as prose
        for i in range(a, b):
            sentence = end[i] > 0 and log_words[i] >= sentence_log_words
            kept = scores[i] < cut or stop[i] >= prose_stop or unspaced[i] >= unspaced_prose
            if sentence and kept:
                last = i
        tail = np.zeros(b - a, dtype=np.bool_)
        if last >= 0:
            for j in range(last + 1, b - 1):
                if pair_repeats[j]:
                    tail[j - a] = tail[j + 1 - a] = True
        prose = np.zeros(b - a, dtype=np.bool_)
        for i in range(a, b):
            prose[i - a] = (
                end[i] > 0 and log_words[i] >= sentence_log_words and stop[i] >= prose_stop
            ) or unspaced[i] >= unspaced_prose
            if reasons[i] == KEEP and (tail[i - a] or (scores[i] >= cut and not prose[i - a])):
                reasons[i] = REPEATED if repeated[i] else LOW_CONTENT
        heading = np.zeros(b - a, dtype=np.bool_)
        for j in range(a, b - 1):
            heading[j - a] = (
                (reasons[j] == LOW_CONTENT or reasons[j] == REPEATED)
                and not end[j]
                and heading_min_log_words <= log_words[j] <= heading_log_words
                and not repeated[j]
                and reasons[j + 1] == KEEP
                and end[j + 1]
                and log_words[j + 1] >= sentence_log_words
            )
        # what the rules above keep, a short prose line the trees are sure of goes after
        # all ("sure"), and then a short line kept alone between two removed lines whose
        # score is near the cut ("island")
        sure = np.zeros(b - a, dtype=np.bool_)
        for i in range(a, b):
            if heading[i - a]:
                reasons[i] = KEEP
            sure[i - a] = (
                reasons[i] == KEEP
                and prose[i - a]
                and scores[i] >= prose_cut
                and log_words[i] <= prose_scored_log_words
            )
        island = np.zeros(b - a, dtype=np.bool_)
        for i in range(a + 1, b - 1):
            island[i - a] = (
                reasons[i] == KEEP
                and not sure[i - a]
                and (reasons[i - 1] != KEEP or sure[i - 1 - a])
                and (reasons[i + 1] != KEEP or sure[i + 1 - a])
                and not prose[i - a]
                and scores[i] >= cut - island_margin
                and log_words[i] <= island_log_words
            )
        first = b
        last = -1
        for i in range(a, b):
            if sure[i - a] or island[i - a]:
                reasons[i] = REPEATED if repeated[i] else LOW_CONTENT
            if reasons[i] == KEEP:
                first = min(first, i)
                last = i
        for i in range(a, b):
            if reasons[i] == LOW_CONTENT and (i < first or i > last):
                reasons[i] = EDGE_SHORT
    return reasons


#: Rows per block of `tree_sum`: a tree's nodes are tested on a block at a time.
TREE_BLOCK = 1024
_EVERY_LEAF = np.uint64(0xFFFFFFFFFFFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _and_masks(columns, a, size, feature, threshold, mask, start, stop, nan_right, bits):
    """AND into ``bits[i]`` the `mask` of each node ``start:stop`` where row ``a + i`` goes
    right: ``x > threshold``, or NaN too where `nan_right` (``not x <= threshold``). Two
    nodes at a time (one pass over `bits` for both); each loop over the rows is a
    vector loop."""
    k = start
    while k + 1 < stop:
        x1, x2 = columns[feature[k], a : a + size], columns[feature[k + 1], a : a + size]
        t1, t2, m1, m2 = threshold[k], threshold[k + 1], mask[k], mask[k + 1]
        if nan_right:
            for i in range(size):
                bits[i] &= (_EVERY_LEAF if x1[i] <= t1 else m1) & (
                    _EVERY_LEAF if x2[i] <= t2 else m2
                )
        else:
            for i in range(size):
                bits[i] &= (m1 if x1[i] > t1 else _EVERY_LEAF) & (m2 if x2[i] > t2 else _EVERY_LEAF)
        k += 2
    if k < stop:
        x1, t1, m1 = columns[feature[k], a : a + size], threshold[k], mask[k]
        if nan_right:
            for i in range(size):
                bits[i] &= _EVERY_LEAF if x1[i] <= t1 else m1
        else:
            for i in range(size):
                bits[i] &= m1 if x1[i] > t1 else _EVERY_LEAF


@njit(cache=True, nogil=True)
def tree_sum(columns, feature, threshold, mask, offsets, nan_right, leaf_value, baseline):
    """Raw score of each row under a gradient-boosted tree ensemble; `columns` holds the
    rows' inputs a feature per row (``columns[f, i]``: feature `f` of row `i`).

    The trees are laid out as ``boilerplate_model.TreeMasks`` lays them out: the split
    nodes of tree `t` are ``offsets[t]:offsets[t + 1]`` (those from ``nan_right[t]`` on
    send NaN right), each with its `feature`, `threshold` (a row goes left where
    ``x <= threshold``) and the `mask` of the leaves it leaves a row going right; the
    row's leaf is the lowest bit of the AND of those masks. Each row's sum starts at
    `baseline` and adds the trees' leaf values in order, as scikit-learn's
    ``HistGradientBoostingClassifier`` does, so the result is the same to the bit.

    Rows go in blocks of `TREE_BLOCK`; every node of a tree is tested on the whole
    block, a comparison and an AND per row, in vector loops with no branch to
    mispredict, instead of a walk of dependent loads per row and tree.
    """
    n = columns.shape[1]
    out = np.full(n, baseline)
    bits = np.empty(TREE_BLOCK, dtype=np.uint64)
    for a in range(0, n, TREE_BLOCK):
        size = min(n, a + TREE_BLOCK) - a
        for t in range(len(offsets) - 1):
            bits[:size] = _EVERY_LEAF
            start, middle, stop = offsets[t], nan_right[t], offsets[t + 1]
            _and_masks(columns, a, size, feature, threshold, mask, start, middle, False, bits)
            _and_masks(columns, a, size, feature, threshold, mask, middle, stop, True, bits)
            values = leaf_value[t]
            for i in range(size):
                out[a + i] += values[trailing_zeros(bits[i])]
    return out


@njit(cache=True, nogil=True)
def dense_rows(picked, doc_starts, features, neighbour_columns, context, steps, extra):
    """The dense inputs (``boilerplate_model.DENSE_FEATURES``) of the lines `picked`
    (ascending), a row each: the line's `features`; per step of `steps` (-1, 1, then
    `context` columns left for `context_inputs` where the step is 0, then -2, 2) the
    `neighbour_columns` of the line that many rows away, zeros where that is outside the
    line's document; then `extra` columns left for the caller to fill. Stored column by
    column (`tree_sum` reads a column of consecutive rows at a time), and written so: the
    inputs are read by column too."""
    n = len(picked)
    size = len(neighbour_columns)
    width = features.shape[1] + (len(steps) - 1) * size + context
    out = np.empty((width + extra, n)).T
    first = np.empty(n, dtype=np.int64)  # the first and last line of each row's document
    last = np.empty(n, dtype=np.int64)
    d = 0
    for r in range(n):
        while doc_starts[d + 1] <= picked[r]:
            d += 1
        first[r], last[r] = doc_starts[d], doc_starts[d + 1] - 1
    for c in range(features.shape[1]):
        for r in range(n):
            out[r, c] = features[picked[r], c]
    at = features.shape[1]
    for step in steps:
        if step == 0:
            at += context
            continue
        for c in range(size):
            column = neighbour_columns[c]
            for r in range(n):
                j = picked[r] + step
                out[r, at + c] = features[j, column] if first[r] <= j <= last[r] else 0.0
        at += size
    return out


#: jusText's paragraph classes (`context_inputs`).
JT_BAD, JT_SHORT, JT_NEARGOOD, JT_GOOD = range(4)
#: Columns of `context_inputs`.
CONTEXT_INPUTS = (
    "first_prose_rel", "last_prose_rel", "log_dist_first_prose", "log_dist_last_prose",
    "prose_share_before", "prose_share_after", "jt_class", "jt_good", "jt_good_window5",
    "end_window1", "end_window2", "end_window5", "words_window1", "words_window2",
    "words_window5", "stop_window1", "stop_window2", "stop_window5", "prose_window2",
    "prose_window5", "prose_window10", "short_window2", "short_window5", "link_window2",
    "log_run_short", "log_run_prose", "log_run_4_words", "doc_prose_share", "doc_mean_words",
    "stop_rel_doc", "words_rel_doc",
)  # fmt: skip


@njit(cache=True, nogil=True)
def _window(x, a, b, i, r, pad):
    """Mean of ``x[i - r:i + r + 1]``, positions outside ``[a, b)`` counting as `pad`,
    summed left to right."""
    total = 0.0
    for j in range(i - r, i + r + 1):
        total += x[np.uint64(j)] if a <= j < b else pad  # unsigned: no wraparound
    return total / (2 * r + 1)


@njit(cache=True, nogil=True)
def _near(cls, a, b, i, step, skip_neargood):
    """jusText's neighbour class: the first good or bad line (or near-good, unless
    `skip_neargood`) from `i` in direction `step`; bad past the document's edge."""
    j = i + step
    while a <= j < b:
        c = cls[j]
        if c in (JT_GOOD, JT_BAD):
            return c
        if c == JT_NEARGOOD and not skip_neargood:
            return c
        j += step
    return JT_BAD


@njit(cache=True, nogil=True)
def justext_classes(chars, stop, link, a, b, init, final):
    """jusText's classes of the lines ``a:b`` (its default thresholds: 70/200 characters,
    stop-word density 0.30/0.32, link density 0.2), before and after context smoothing.
    The quadratic worst case of the neighbour search is bounded by the document."""
    for i in range(a, b):
        if link[i] > 0.2:
            c = JT_BAD
        elif chars[i] < 70:
            c = JT_BAD if link[i] > 0 else JT_SHORT
        elif stop[i] >= 0.32:
            c = JT_GOOD if chars[i] > 200 else JT_NEARGOOD
        elif stop[i] >= 0.30:
            c = JT_NEARGOOD
        else:
            c = JT_BAD
        init[i] = c
    for i in range(a, b):
        final[i] = init[i]
        if init[i] != JT_SHORT:
            continue
        p = _near(init, a, b, i, -1, True)
        q = _near(init, a, b, i, 1, True)
        if p == JT_GOOD and q == JT_GOOD:
            final[i] = JT_GOOD
        elif p == JT_BAD and q == JT_BAD:
            final[i] = JT_BAD
        elif (p == JT_BAD and _near(init, a, b, i, -1, False) == JT_NEARGOOD) or (
            q == JT_BAD and _near(init, a, b, i, 1, False) == JT_NEARGOOD
        ):
            final[i] = JT_GOOD
        else:
            final[i] = JT_BAD
    smoothed = final[a:b].copy()
    for i in range(a, b):
        if smoothed[i - a] != JT_NEARGOOD:
            continue
        p = _near(smoothed, 0, b - a, i - a, -1, True)
        q = _near(smoothed, 0, b - a, i - a, 1, True)
        final[i] = JT_BAD if p == JT_BAD and q == JT_BAD else JT_GOOD


@njit(cache=True, nogil=True)
def _runs(flags, a, b, out):
    """``out[i]``: the length of the run of equal `flags` line i of ``a:b`` is in."""
    start = a
    for i in range(a + 1, b + 1):
        if i == b or flags[i] != flags[start]:
            for j in range(start, i):
                out[j] = i - start
            start = i


@njit(cache=True, nogil=True)
def context_inputs(
    doc_starts, end, log_words, stop, short, link, chars, prose, four_words, picked, out, column
):  # fmt: skip
    """Write the document-context inputs of the trees (`CONTEXT_INPUTS`) of the lines
    `picked` (ascending) to ``out[r, column:column + len(CONTEXT_INPUTS)]`` (row `r` for
    line ``picked[r]``): where the line sits relative to the document's first and last
    prose line, jusText's classes, means over windows of ±1, ±2, ±5 (±10) lines, run
    lengths and document means. Every value reads only the line's own document (all of
    its lines: the classes, windows and means are computed from every line, written for
    the picked ones)."""
    n = len(end)
    init = np.zeros(n, dtype=np.int64)
    final = np.zeros(n, dtype=np.int64)
    good = np.zeros(n)
    seen_before = np.zeros(n)  # prose lines before each line of its document
    runs = np.zeros((3, n), dtype=np.int64)  # short, prose, four-word runs
    r = 0
    for d in range(len(doc_starts) - 1):
        a, b = doc_starts[d], doc_starts[d + 1]
        count = b - a
        if count == 0 or r == len(picked) or picked[r] >= b:
            continue
        first = last = -1
        prose_count = 0
        for i in range(a, b):
            if prose[i]:
                if first < 0:
                    first = i
                last = i
                prose_count += 1
        seen = 0
        for i in range(a, b):
            seen_before[i] = seen
            seen += prose[i]
        justext_classes(chars, stop, link, a, b, init, final)
        for i in range(a, b):
            good[i] = 1.0 if final[i] == JT_GOOD else 0.0
        words_total = stop_total = 0.0
        for i in range(a, b):
            words_total += log_words[i]
            stop_total += stop[i]
        _runs(short, a, b, runs[0])
        _runs(prose, a, b, runs[1])
        _runs(four_words, a, b, runs[2])
        while r < len(picked) and picked[r] < b:
            i = picked[r]
            row = out[r, column : column + len(CONTEXT_INPUTS)]
            if first >= 0:
                row[0] = (i - first) / count
                row[1] = (i - last) / count
                row[2] = np.log1p(abs(i - first))
                row[3] = np.log1p(abs(i - last))
                row[4] = seen_before[i] / prose_count
                row[5] = (prose_count - seen_before[i] - prose[i]) / prose_count
            else:
                row[0] = row[1] = row[4] = row[5] = 0.0
                row[2] = row[3] = np.log1p(count)
            row[6] = init[i]
            row[7] = good[i]
            row[8] = _window(good, a, b, i, 5, 0.0)
            row[9] = _window(end, a, b, i, 1, 0.0)
            row[10] = _window(end, a, b, i, 2, 0.0)
            row[11] = _window(end, a, b, i, 5, 0.0)
            row[12] = _window(log_words, a, b, i, 1, 0.0)
            row[13] = _window(log_words, a, b, i, 2, 0.0)
            row[14] = _window(log_words, a, b, i, 5, 0.0)
            row[15] = _window(stop, a, b, i, 1, 0.0)
            row[16] = _window(stop, a, b, i, 2, 0.0)
            row[17] = _window(stop, a, b, i, 5, 0.0)
            row[18] = _window(prose, a, b, i, 2, 0.0)
            row[19] = _window(prose, a, b, i, 5, 0.0)
            row[20] = _window(prose, a, b, i, 10, 0.0)
            row[21] = _window(short, a, b, i, 2, 1.0)
            row[22] = _window(short, a, b, i, 5, 1.0)
            row[23] = _window(link, a, b, i, 2, 0.0)
            for k in range(3):
                row[24 + k] = np.log1p(runs[k, i])
            row[27] = prose_count / count
            row[28] = words_total / count
            row[29] = stop[i] - stop_total / count
            row[30] = log_words[i] - words_total / count
            r += 1
    return out


#: Slots per bucket of `token_slots`' table: a key is in the bucket of its low bits.
TOKEN_BUCKET = 8


#: `token_slots`' filter: a bit per value of bits 15 to 31 of a key (16 KB).
_FILTER_SHIFT = np.uint64(15)
_FILTER_MASK = np.uint64((1 << 17) - 1)


@njit(cache=True, nogil=True)
def token_slots(keys, values):
    """A table of `keys` (CRC-32 values, already well mixed) in buckets of `TOKEN_BUCKET`
    slots, a key in the bucket its low bits pick: ``(slot_keys, slot_values,
    slot_filter)``, -1 where empty. As many buckets as it takes for none to overflow (at
    least a bucket per two keys), so a look-up reads one bucket, with no branch
    (`_slot`). `slot_filter` has the bit of each key's bits 15 to 31 set: a key whose bit
    is clear is surely not in the table (most tokens of a text are not; the filter stays
    in cache where the table may not)."""
    slot_filter = np.zeros((int(_FILTER_MASK) + 1) // 64, dtype=np.uint64)
    for k in range(len(keys)):
        bit = (np.uint64(keys[k]) >> _FILTER_SHIFT) & _FILTER_MASK
        slot_filter[bit >> np.uint64(6)] |= np.uint64(1) << (bit & np.uint64(63))
    buckets = 1
    while buckets * 2 < len(keys) + 1:
        buckets *= 2
    while True:
        slot_keys = np.full(buckets * TOKEN_BUCKET, -1, dtype=np.int64)
        slot_values = np.zeros(buckets * TOKEN_BUCKET)
        fits = True
        for k in range(len(keys)):
            at = (keys[k] & (buckets - 1)) * TOKEN_BUCKET
            end = at + TOKEN_BUCKET
            while at < end and slot_keys[at] >= 0:
                at += 1
            if at == end:
                fits = False
                break
            slot_keys[at] = keys[k]
            slot_values[at] = values[k]
        if fits:
            return slot_keys, slot_values, slot_filter
        buckets *= 2


@njit(cache=True, nogil=True, inline="always")
def _slot(slot_keys, key):
    """The slot of `key` in `token_slots`' table, or -1 (every slot of its bucket is
    compared: no branch)."""
    buckets = np.uint64(len(slot_keys) // TOKEN_BUCKET)
    start = (np.uint64(key) & (buckets - np.uint64(1))) * np.uint64(TOKEN_BUCKET)
    found = -1
    for j in range(TOKEN_BUCKET):
        at = start + np.uint64(j)
        found = np.int64(at) if slot_keys[at] == key else found
    return found


#: Columns of `line_token_inputs`: first these (how the line's tokens recur in its
#: document), then the token noise log-odds inputs (``boilerplate_model.TOKEN_INPUTS``).
RECURRENCE_INPUTS = (
    "recur_token_share", "recur_token_log_lines", "recur_first_log_lines",
    "recur_last_log_lines",
)  # fmt: skip
#: How many token noise log-odds inputs follow them.
TOKEN_COLUMNS = 7


@njit(cache=True, nogil=True)
def line_token_inputs(
    hash_crcs, hash_starts, doc_starts, slot_keys, slot_values, slot_filter, log_lines, picked,
    out, column,
):  # fmt: skip
    """Write the inputs read from the hashing tokens of the lines `picked` (ascending) to
    ``out[r, column:column + 11]`` (row `r` for line ``picked[r]``): `RECURRENCE_INPUTS`,
    then the token noise log-odds inputs. Every value reads only the line's own document.

    Recurrence: over the line's distinct tokens, the share held by another line of the
    document, and the mean (in order of first occurrence) of the log of the number of
    the document's lines holding each; the log of the number of the document's lines
    whose first token is its first token, and the same for the last token (0 for a line
    without tokens). ``log_lines[c - 1]`` is the log of a count `c` (capped at its
    length). A template repeated down a page ("Read more", "Pressemitteilung als PDF",
    "- Chanson ...") recurs; a sentence of the article mostly does not.

    Token log-odds: over the line's distinct tokens found in the table (`token_slots`),
    summed in order of first occurrence, the mean, max and min value; the first token's
    value; the share of distinct tokens found; the document's mean of the line means;
    the mean of the line means two lines either side (zero past the document's edges).
    Unknown tokens count 0 where a value is read; an unknown or repeated token adds 0.0
    (exact) and leaves the max and min alone.

    One open-addressing table per document (sized to it, so a small document's probes
    stay in a few cache lines; stamped with the document, so it is never cleared) holds
    each distinct token (the line that last held it, how many lines hold it, its table
    value, looked up once per document, past `slot_filter`) and each line's first and
    last token (keys ``kind << 32 | token``, kind 1 and 2): one probe per token finds
    whether the token is new to its line, counts it, and gives its value.
    """
    n = len(hash_starts) - 1
    longest = 0
    for d in range(len(doc_starts) - 1):
        a, b = doc_starts[d], doc_starts[d + 1]
        longest = max(longest, hash_starts[b] - hash_starts[a] + 2 * (b - a))
    size = 1
    while size < 2 * longest + 2:
        size *= 2
    keys = np.zeros(size, dtype=np.int64)
    counts = np.zeros(size, dtype=np.int64)
    stamp = np.full(size, -1, dtype=np.int64)  # the document using the slot
    holder = np.zeros(size, dtype=np.int64)  # the last line holding the token
    value = np.zeros(size)
    known = np.zeros(size, dtype=np.bool_)
    # per token: its slot, -1 where it repeats a token of its line; per line: the slots
    # of its first and last token; its token mean and the other token inputs
    slot_of = np.full(len(hash_crcs), -1, dtype=np.int64)
    edge_slots = np.zeros((n, 2), dtype=np.int64)
    mean = np.zeros(n)
    line_inputs = np.zeros((n, 4))  # max, min, first token's value, share found
    top = len(log_lines)
    r = 0
    for d in range(len(doc_starts) - 1):
        a, b = doc_starts[d], doc_starts[d + 1]
        if a == b:
            continue
        width = 1
        while width < 2 * (hash_starts[b] - hash_starts[a] + 2 * (b - a)) + 2:
            width *= 2
        mask = np.uint64(width - 1)
        for i in range(a, b):
            s, e = hash_starts[i], hash_starts[i + 1]
            if s == e:
                continue
            distinct = hits = 0
            total = 0.0
            high = -np.inf
            low = np.inf
            for j in range(s, e):  # distinct tokens in order of first occurrence
                token = np.int64(hash_crcs[j])
                at = (np.uint64(token) ^ (np.uint64(token) >> np.uint64(29))) & mask
                while stamp[at] == d and keys[at] != token:
                    at = (at + np.uint64(1)) & mask
                if stamp[at] != d:
                    stamp[at], keys[at], counts[at], holder[at] = d, token, 0, -1
                    bit = (np.uint64(token) >> _FILTER_SHIFT) & _FILTER_MASK
                    found = -1
                    if slot_filter[bit >> np.uint64(6)] & (np.uint64(1) << (bit & np.uint64(63))):
                        found = _slot(slot_keys, token)
                    known[at] = found >= 0
                    value[at] = slot_values[max(found, 0)]
                new = holder[at] != i
                holder[at] = i
                counts[at] += new
                slot_of[j] = np.int64(at) if new else -1
                hit = new and known[at]
                v = value[at]
                distinct += new
                hits += hit
                total += v if hit else 0.0
                high = max(high, v if hit else -np.inf)
                low = min(low, v if hit else np.inf)
            first = slot_of[s]
            if known[first]:
                line_inputs[i, 2] = value[first]
            if hits:
                mean[i] = total / hits
                line_inputs[i, 0] = high
                line_inputs[i, 1] = low
            line_inputs[i, 3] = hits / distinct
            for kind in range(1, 3):
                key = np.int64(kind) << 32 | np.int64(hash_crcs[s if kind == 1 else e - 1])
                at = (np.uint64(key) ^ (np.uint64(key) >> np.uint64(29))) & mask
                while stamp[at] == d and keys[at] != key:
                    at = (at + np.uint64(1)) & mask
                if stamp[at] != d:
                    stamp[at], keys[at], counts[at] = d, key, 0
                counts[at] += 1
                edge_slots[i, kind - 1] = at
        if r == len(picked) or picked[r] >= b:
            continue
        total = 0.0
        for i in range(a, b):
            total += mean[i]
        doc_mean = total / (b - a)
        while r < len(picked) and picked[r] < b:
            i = picked[r]
            s, e = hash_starts[i], hash_starts[i + 1]
            for c in range(column, column + len(RECURRENCE_INPUTS) + TOKEN_COLUMNS):
                out[r, c] = 0.0
            if s < e:
                distinct = recur = 0
                total = 0.0
                for j in range(s, e):  # distinct tokens in order of first occurrence
                    at = slot_of[j]
                    if at < 0:
                        continue
                    count = counts[at]
                    distinct += 1
                    recur += count > 1
                    total += log_lines[min(count, top) - 1]
                out[r, column] = recur / distinct
                out[r, column + 1] = total / distinct
                out[r, column + 2] = log_lines[min(counts[edge_slots[i, 0]], top) - 1]
                out[r, column + 3] = log_lines[min(counts[edge_slots[i, 1]], top) - 1]
                base = column + len(RECURRENCE_INPUTS)
                out[r, base] = mean[i]
                for c in range(4):
                    out[r, base + 1 + c] = line_inputs[i, c]
            out[r, column + len(RECURRENCE_INPUTS) + 5] = doc_mean
            out[r, column + len(RECURRENCE_INPUTS) + 6] = _window(mean, a, b, i, 2, 0.0)
            r += 1
    return out
