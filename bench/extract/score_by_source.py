#!/usr/bin/env python3
"""Scores a directory of <page id>.txt predictions against the dev set's
ground truth with the shared scorer's metric, overall and per source
dataset. Prints one line per group, or JSON with --json.

usage: score_by_source.py --scorer PATH/score_extraction.py
                          --gt ground-truth.json --pred DIR [--json]
"""
import argparse
import importlib.util
import json
import sys


def load_scorer(path):
    spec = importlib.util.spec_from_file_location('score_extraction', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--scorer', required=True)
    ap.add_argument('--gt', required=True)
    ap.add_argument('--pred', required=True)
    ap.add_argument('--ids', help='file of page ids to score, one a line')
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    sc = load_scorer(a.scorer)
    with open(a.gt, encoding='utf-8') as f:
        gt = json.load(f)
    ids = sorted(gt)
    if a.ids:
        with open(a.ids, encoding='utf-8') as f:
            want = {l.strip() for l in f if l.strip()}
        ids = [i for i in ids if i in want]
    truth = {i: gt[i].get('articleBody') or '' for i in ids}
    pred, _missing = sc.load_pred_dir(a.pred, ids)
    groups = {}
    for i in ids:
        row = sc.page_counts(truth[i], pred[i])
        groups.setdefault(gt[i].get('source_dataset', '?'), []).append(row)
        groups.setdefault('overall', []).append(row)
    out = {}
    for g, rows in groups.items():
        s = sc.aggregate(rows)
        s['pages'] = len(rows)
        out[g] = s
    if a.json:
        json.dump(out, sys.stdout, indent=1, sort_keys=True)
        print()
    else:
        for g in sorted(out, key=lambda k: (k == 'overall', k)):
            s = out[g]
            print(f"{g:<16} pages={s['pages']:<5} F1={s['f1']:.4f} "
                  f"P={s['precision']:.4f} R={s['recall']:.4f}")


if __name__ == '__main__':
    main()
