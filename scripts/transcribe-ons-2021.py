#!/usr/bin/env python3
# One-off transcription of the ONS Census 2021 lists (shared/reference) into schema/standard.yaml,
# schema/schemes/ons-2021-ew.yaml and ons-2021-ew-detailed.yaml, with the detailed placement rule.
# Run from the repository root: python3 scripts/transcribe-ons-2021.py [REFERENCE_DIR]
import csv, re, json
import sys
REF=(sys.argv[1] if len(sys.argv)>1 else '../shared/reference').rstrip('/')+'/'
groups = [
 ("asian","Asian, Asian British or Asian Welsh"),
 ("black","Black, Black British, Black Welsh, Caribbean or African"),
 ("mixed","Mixed or Multiple ethnic groups"),
 ("white","White"),
 ("other","Other ethnic group"),
]
gkey = {l:c for c,l in groups}
catcodes = {1:"asian.bangladeshi",2:"asian.chinese",3:"asian.indian",4:"asian.pakistani",5:"asian.other",
 6:"black.african",7:"black.caribbean",8:"black.other",9:"mixed.white-asian",10:"mixed.white-black-african",
 11:"mixed.white-black-caribbean",12:"mixed.other",13:"white.british",14:"white.irish",15:"white.gypsy-irish-traveller",
 16:"white.roma",17:"white.other",18:"other.arab",19:"other.any-other"}
cats=[]
for r in csv.DictReader(open(REF+'ons-2021-ew.csv')):
    n=int(r['code'])
    if n<0: continue
    cats.append(dict(code=catcodes[n], label=r['label'].split(': ',1)[1], ons_label=r['label'], group=gkey[r['group']], ts021=n, question=r['notes']))
sections = {
 "Asian, Asian British or Asian Welsh":"asian",
 "Black, Black British, Black Welsh of African background":"black-african",
 "Black, Black British, Black Welsh or Caribbean background":"black-caribbean",
 "Mixed or Multiple ethnic groups":"mixed",
 "White":"white",
 "Other ethnic group":"other",
}
# tick-box label within section -> category
tick = {
 ("asian","Bangladeshi, British Bangladeshi"):"asian.bangladeshi",
 ("asian","Chinese"):"asian.chinese",
 ("asian","Indian or British Indian"):"asian.indian",
 ("asian","Pakistani or British Pakistani"):"asian.pakistani",
 ("black-caribbean","Caribbean"):"black.caribbean",
 ("mixed","White and Asian (unspecified)"):"mixed.white-asian",
 ("mixed","White and Black African"):"mixed.white-black-african",
 ("mixed","White and Black Caribbean"):"mixed.white-black-caribbean",
 ("white","English, Welsh, Scottish, Northern Irish or British"):"white.british",
 ("white","Irish"):"white.irish",
 ("white","Gypsy or Irish Traveller"):"white.gypsy-irish-traveller",
 ("white","Roma"):"white.roma",
 ("other","Arab"):"other.arab",
}
writein = {"asian":"asian.other","black-african":"black.african","black-caribbean":"black.other","mixed":"mixed.other","white":"white.other","other":"other.any-other"}
def slug(s):
    s=s.lower().replace("'","")
    s=re.sub(r'[^a-z0-9]+','-',s).strip('-')
    return s
det=[]
seen=set()
for r in csv.DictReader(open(REF+'ons-2021-ew-detailed.csv')):
    sec_label, lab = r['label'].split(': ',1)
    sec = sections[r['group']]
    code = sec+"/"+slug(lab)
    assert code not in seen, code
    seen.add(code)
    if (sec,lab) in tick:
        cat=tick[(sec,lab)]; how="tick-box"
    else:
        cat=writein[sec]; how="write-in"
    det.append(dict(code=code,label=lab,ons_label=r['label'],section=sec,category=cat,placement=how))
assert len(det)==287
used = {k for k in tick}
assert all(any(d['section']==s and d['label']==l for d in det) for s,l in used)
def q(s): return json.dumps(s, ensure_ascii=False)
out=[]
w=out.append
w("# The West Midlands ethnicity data standard: the pivot every coding scheme maps into.")
w("# Source of truth for src/generated/standard.rs (regenerate: WM_REGENERATE=1 cargo test codegen).")
w("# Codes are stable forever: a node may be retired, never removed, reused or renamed in meaning.")
w("#")
w("# Sources:")
w("#   groups, categories: ONS Census 2021 England and Wales ethnic group, 20 categories")
w("#     (ethnic_group_tb_20b, dataset TS021); codes 1-19 as `ts021`. Labels are the ONS output labels.")
w("#     https://www.ons.gov.uk/census/census2021dictionary/variablesbytopic/ethnicgroupnationalidentitylanguageandreligionvariablescensus2021/ethnicgroup/classifications")
w("#   detailed: ONS Census 2021 ethnic group (detailed), 287 categories (ethnic_group_288a, dataset TS022),")
w("#     labels verbatim from the Nomis bulk file census2021-ts022 (https://www.nomisweb.co.uk/output/census/2021/census2021-ts022.zip).")
w("#     ONS publishes no numeric codes for 288a and no mapping from 288a to the 19 categories.")
w("#")
w("# Standard codes are this standard's own identifiers, not ONS codes: `group`, `group.category`,")
w("# `section/label-slug` (detailed; the section is the TS022 section the person answered in).")
w("#")
w("# Placement rule for detailed categories (a judgement: ONS publishes no 288a->20b mapping):")
w("#   TS022 places each answer under the question section the person answered in. In the 2021")
w("#   questionnaire only the 'any other ... background' boxes and the Black 'African' box had a")
w("#   write-in. So, within a section:")
w("#   - placement: tick-box  -- the detailed label is that section's tick-box answer (e.g. White:")
w("#     Irish; Asian: Pakistani or British Pakistani): it belongs to that tick-box category;")
w("#   - placement: write-in  -- any other label was written in under the section's write-in box:")
w("#     Asian -> Other Asian; Black African background -> African; Black Caribbean background ->")
w("#     Other Black (the Caribbean box had no write-in); Mixed -> Other Mixed; White -> Other White;")
w("#     Other ethnic group -> Any other ethnic group.")
w("#   Doubt: 'Mixed: White and Asian (unspecified)' is taken as the White and Asian tick-box (the")
w("#   tick-box answers must appear somewhere in the Mixed section and no other label fits).")
w("#   So the same write-in (e.g. Kashmiri) is two nodes: asian/kashmiri and other/kashmiri.")
w("#   Regional additions: none yet. A regional node needs a published code list that")
w("#   distinguishes it (e.g. a DfE extended code) and the Taskforce's agreement.")
w("")
w('version: "1.0.0"')
w("groups:")
for i,(c,l) in enumerate(groups):
    w(f"  - code: {c}\n    label: {q(l)}")
w("categories:")
for c in cats:
    w(f"  - code: {c['code']}\n    label: {q(c['label'])}\n    ons_label: {q(c['ons_label'])}\n    group: {c['group']}\n    ts021: {c['ts021']}")
w("detailed:")
for d in det:
    w(f"  - code: {d['code']}\n    label: {q(d['label'])}\n    section: {d['section']}\n    category: {d['category']}\n    placement: {d['placement']}")
w("residuals:")
w("  - code: declined\n    label: \"Declined\"\n    definition: \"Asked and chose not to say, or could not choose (NHS Z, DfE REFU, police NS).\"")
w("  - code: not-obtained\n    label: \"Not obtained\"\n    definition: \"Not asked yet; the information is still to be collected (DfE NOBT).\"")
w("  - code: not-known\n    label: \"Not known\"\n    definition: \"Not recorded, not asked, or the person could not be asked (NHS 99).\"")
open('schema/standard.yaml','w').write("\n".join(out)+"\n")

# --- ons-2021-ew scheme
o=[]
w=o.append
w("# Census 2021 England and Wales ethnic group, 20 categories. Every tick-box is equivalent to the")
w("# standard category of the same number: the standard's categories are this list.")
w("id: ons-2021-ew")
w('name: "ONS Census 2021 England and Wales ethnic group (20 categories, TS021)"')
w('authority: "Office for National Statistics"')
w('version: "ethnic_group_tb_20b (Census 2021)"')
w('valid_from: "2021-03-21"')
w('source_url: "https://www.ons.gov.uk/census/census2021dictionary/variablesbytopic/ethnicgroupnationalidentitylanguageandreligionvariablescensus2021/ethnicgroup/classifications"')
w('source: >-\n  Codes and output labels: [third-party] SocialCareData Person Standard and [official-copy] an ONS\n  custom-dataset CSV, agreeing on every code; variable ethnic_group_tb_20b confirmed by [official] ONS\n  API metadata for RM032. Question wording: [official] GOV.UK Ethnicity facts and figures, List of\n  ethnic groups. Transcribed in shared/reference/ons-2021-ew.csv.')
w("keyed_by: code")
w("codes:")
for r in csv.DictReader(open(REF+'ons-2021-ew.csv')):
    n=int(r['code'])
    w(f"  - code: \"{n}\"\n    label: {q(r['label'])}\n    note: {q(r['notes'])}")
    if n<0:
        w("    map:\n      rel: residual\n      to: not-known\n      note: \"Not an ethnic group: ONS output code for people outside the variable's population; no ethnic group is known for them.\"")
    else:
        w(f"    map:\n      rel: equivalent\n      to: {catcodes[n]}")
open('schema/schemes/ons-2021-ew.yaml','w').write("\n".join(o)+"\n")
# --- ons-2021-ew-detailed
o=[]
w=o.append
w("# Census 2021 ethnic group (detailed), 287 categories. ONS publishes no numeric codes for this")
w("# classification (ethnic_group_288a), so values are matched on the TS022 label")
w("# '<section>: <category>'. Each label is equivalent to the standard's detailed node.")
w("id: ons-2021-ew-detailed")
w('name: "ONS Census 2021 ethnic group (detailed, 287 categories, TS022)"')
w('authority: "Office for National Statistics"')
w('version: "ethnic_group_288a (Census 2021)"')
w('valid_from: "2021-03-21"')
w('source_url: "https://www.nomisweb.co.uk/output/census/2021/census2021-ts022.zip"')
w('source: >-\n  [official-copy] header row of the Nomis bulk file census2021-ts022-ward.csv, as committed in GitHub\n  MitchellCarey/may-2026-election-correlations (commit 1951aa7ab296164b58a4d5bafc3186daaf76a713);\n  the prefix "Ethnic group (detailed): " stripped. Numeric codes of ethnic_group_288a: not found.\n  Transcribed in shared/reference/ons-2021-ew-detailed.csv.')
w("keyed_by: label")
w("codes:")
for d in det:
    w(f"  - label: {q(d['ons_label'])}\n    map:\n      rel: equivalent\n      to: {d['code']}")
open('schema/schemes/ons-2021-ew-detailed.yaml','w').write("\n".join(o)+"\n")
