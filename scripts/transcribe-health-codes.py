#!/usr/bin/env python3
# Transcription of the OpenSAFELY SNOMED CT and CTV3 ethnicity codelists (fixtures/published/) into
# schema/schemes/snomed-ct.yaml and schema/schemes/ctv3.yaml, their reference lists
# (fixtures/reference/snomed-ct.csv, ctv3.csv) and the table of differences from OpenSAFELY's
# groupings in docs/health-codes.md. Run from the repository root:
#     python3 scripts/transcribe-health-codes.py
# then `WM_REGENERATE=1 cargo test --test suite codegen`. Needs PyYAML (to read the schemes whose
# placements the census concepts reuse). The rules are in docs/health-codes.md; in short:
#   1. a census concept ("... - ethnic category 2001 census", "... 2011 census") takes the mapping
#      of that census category in the crate's own scheme of that census: the 2001 categories from
#      ons-2001-ew and the 2001 extended categories from nhs-ethnic-category-extended (the NHS
#      2-character list is the 2001 extended classification); England and Wales 2011 from
#      ons-2011-ew; Scotland 2011 from nhs-scotland-ethnic-group (the Scotland 2011 list);
#      Northern Ireland 2011 from ons-2011-ew for the categories it shares, by hand otherwise;
#   2. every other concept is a hand judgement from the table HAND below, each with its reason;
#   3. concepts named after a nationality, a religion or a language carry `records:` saying so.
import csv, json, re, sys
import yaml

PUB = 'fixtures/published/'
SNOMED = PUB + 'opensafely-ethnicity-snomed-0removed.csv'
CTV3 = PUB + 'opensafely-ethnicity-ctv3.csv'

std = yaml.safe_load(open('schema/standard.yaml'))
NODES = {n['code']: n for k in ('groups', 'categories', 'detailed', 'residuals') for n in std[k]}
CATEGORY_OF = {}
for n in std['categories']:
    CATEGORY_OF[n['code']] = n['code']
for n in std['detailed']:
    CATEGORY_OF[n['code']] = n['category']
GROUP_OF = {n['code']: n['group'] for n in std['categories']}


def scheme(id):
    d = yaml.safe_load(open(f'schema/schemes/{id}.yaml'))
    return {c.get('code', c['label']): c for c in d['codes']}


O01, O11, EXT, SCT = (scheme(s) for s in ('ons-2001-ew', 'ons-2011-ew',
                                          'nhs-ethnic-category-extended',
                                          'nhs-scotland-ethnic-group'))
SCHEMES = {'ons-2001-ew': O01, 'ons-2011-ew': O11, 'nhs-ethnic-category-extended': EXT,
           'nhs-scotland-ethnic-group': SCT}


def fold(s):
    return re.sub(r'\s+', ' ', s.lower().replace(' : ', ': ')).strip()


# ---- 1. census concepts -------------------------------------------------------------------------
# 2001: the category (SNOMED's full label and CTV3's abbreviation, folded) -> (scheme, key).
C2001 = {
    'british or mixed british': ('nhs-ethnic-category-extended', 'A'),
    'white british': ('ons-2001-ew', 'British'),
    'english': ('nhs-ethnic-category-extended', 'CA'),
    'scottish': ('nhs-ethnic-category-extended', 'CB'),
    'welsh': ('nhs-ethnic-category-extended', 'CC'),
    'northern irish': ('nhs-ethnic-category-extended', 'C2'),
    'cornish': ('nhs-ethnic-category-extended', 'CD'),
    'irish': ('nhs-ethnic-category-extended', 'B'),
    'white irish': ('ons-2001-ew', 'Irish'),
    'other white background': ('ons-2001-ew', 'Any other White background'),
    'cypriot (part not stated)': ('nhs-ethnic-category-extended', 'CE'),
    'greek': ('nhs-ethnic-category-extended', 'CF'),
    'greek cypriot': ('nhs-ethnic-category-extended', 'CG'),
    'turkish': ('nhs-ethnic-category-extended', 'CH'),
    'turkish cypriot': ('nhs-ethnic-category-extended', 'CJ'),
    'italian': ('nhs-ethnic-category-extended', 'CK'),
    'irish traveller': ('nhs-ethnic-category-extended', 'CL'),
    'traveller': ('nhs-ethnic-category-extended', 'CM'),
    'gypsy/romany': ('nhs-ethnic-category-extended', 'CN'),
    'polish': ('nhs-ethnic-category-extended', 'CP'),
    'commonwealth of (russian) independent states': ('nhs-ethnic-category-extended', 'CQ'),
    'commonwealth (russian) indep states': ('nhs-ethnic-category-extended', 'CQ'),
    'kosovan': ('nhs-ethnic-category-extended', 'CR'),
    'albanian': ('nhs-ethnic-category-extended', 'CS'),
    'bosnian': ('nhs-ethnic-category-extended', 'CT'),
    'croatian': ('nhs-ethnic-category-extended', 'CU'),
    'serbian': ('nhs-ethnic-category-extended', 'CV'),
    'other republics which made up the former yugoslavia': ('nhs-ethnic-category-extended', 'CW'),
    'other republics former yugoslavia': ('nhs-ethnic-category-extended', 'CW'),
    'other mixed white': ('nhs-ethnic-category-extended', 'CX'),
    'other white european or european unspecified or mixed european': ('nhs-ethnic-category-extended', 'CY'),
    'oth white european/european unsp/mixed european': ('nhs-ethnic-category-extended', 'CY'),
    'other white or white unspecified': ('nhs-ethnic-category-extended', 'C3'),
    'white and black caribbean': ('nhs-ethnic-category-extended', 'D'),
    'white and black african': ('nhs-ethnic-category-extended', 'E'),
    'white and asian': ('nhs-ethnic-category-extended', 'F'),
    'other mixed background': ('nhs-ethnic-category-extended', 'G'),
    'black and asian': ('nhs-ethnic-category-extended', 'GA'),
    'black and chinese': ('nhs-ethnic-category-extended', 'GB'),
    'black and white': ('nhs-ethnic-category-extended', 'GC'),
    'chinese and white': ('nhs-ethnic-category-extended', 'GD'),
    'asian and chinese': ('nhs-ethnic-category-extended', 'GE'),
    'other mixed or mixed unspecified': ('nhs-ethnic-category-extended', 'GF'),
    'indian or british indian': ('nhs-ethnic-category-extended', 'H'),
    'pakistani or british pakistani': ('nhs-ethnic-category-extended', 'J'),
    'bangladeshi or british bangladeshi': ('nhs-ethnic-category-extended', 'K'),
    'other asian background': ('nhs-ethnic-category-extended', 'L'),
    'mixed asian': ('nhs-ethnic-category-extended', 'LA'),
    'punjabi': ('nhs-ethnic-category-extended', 'LB'),
    'kashmiri': ('nhs-ethnic-category-extended', 'LC'),
    'east african asian': ('nhs-ethnic-category-extended', 'LD'),
    'sri lankan': ('nhs-ethnic-category-extended', 'LE'),
    'tamil': ('nhs-ethnic-category-extended', 'LF'),
    'sinhalese': ('nhs-ethnic-category-extended', 'LG'),
    'british asian': ('nhs-ethnic-category-extended', 'LH'),
    'caribbean asian': ('nhs-ethnic-category-extended', 'LJ'),
    'other asian or asian unspecified': ('nhs-ethnic-category-extended', 'LK'),
    'caribbean': ('nhs-ethnic-category-extended', 'M'),
    'african': ('nhs-ethnic-category-extended', 'N'),
    'other black background': ('nhs-ethnic-category-extended', 'P'),
    'somali': ('nhs-ethnic-category-extended', 'PA'),
    'mixed black': ('nhs-ethnic-category-extended', 'PB'),
    'nigerian': ('nhs-ethnic-category-extended', 'PC'),
    'black british': ('nhs-ethnic-category-extended', 'PD'),
    'other black or black unspecified': ('nhs-ethnic-category-extended', 'PE'),
    'chinese': ('nhs-ethnic-category-extended', 'R'),
    'other': ('nhs-ethnic-category-extended', 'S'),
    'vietnamese': ('nhs-ethnic-category-extended', 'SA'),
    'japanese': ('nhs-ethnic-category-extended', 'SB'),
    'filipino': ('nhs-ethnic-category-extended', 'SC'),
    'malaysian': ('nhs-ethnic-category-extended', 'SD'),
    'any other group': ('nhs-ethnic-category-extended', 'SE'),
}
# 2001 categories absent from the NHS 2-character list: hand judgements (spec, reason, records).
OTHER_2001 = "A 2001 census extended category of 'Any other ethnic group' (the NHS list of them is not in the crate's extended scheme)"
H2001 = {
    'arab': ('eq other.arab', OTHER_2001 + "; since 2011 Arab is a category of its own."),
    'iranian': ('eq other/iranian', OTHER_2001 + "; ONS 2021 codes an Iranian write-in under Other ethnic group as this node (also under Asian, Mixed and White when written there)."),
    'kurdish': ('eq other/kurdish', OTHER_2001 + "; ONS 2021 codes a Kurdish write-in under Other ethnic group as this node."),
    'moroccan': ('br other other.arab,other.any-other', OTHER_2001 + "; since 2011 a Moroccan person may tick Arab, so the category is one of the two."),
    'north african': ('br other other.arab,other.any-other', OTHER_2001 + "; since 2011 a North African person may tick Arab. OpenSAFELY groups it as African; ONS 2021 also codes North African write-ins under White and Black."),
    'middle eastern (excluding israeli, iranian and arab)': ('eq other/other-middle-east', OTHER_2001 + "; Arabs excluded by its own label, so it stays Any other ethnic group."),
    'mid east (excl israeli, iranian & arab)': ('eq other/other-middle-east', OTHER_2001 + "; Arabs excluded by its own label, so it stays Any other ethnic group."),
    'israeli': ('nar other.any-other', OTHER_2001 + "; ONS 2021 codes Israeli write-ins under White (white/israeli) when written there: a person recorded here did not choose White."),
    'latin american': ('eq other/hispanic-or-latin-american', OTHER_2001 + "."),
    'south and central american': ('eq other/south-american', OTHER_2001 + "; Central America is not in the node's label, which ONS uses for South and Central American write-ins alike."),
    'multi-ethnic islands: mauritian or seychellois or maldivian or st helena': ('eq other/mauritian-seychellois-maldivian-sao-tomean-st-helenian', OTHER_2001 + "."),
    'mauritian/seychellois/maldivian/st helena': ('eq other/mauritian-seychellois-maldivian-sao-tomean-st-helenian', OTHER_2001 + "."),
    'baltic states (estonian or latvian or lithuanian)': ('nar white.other', "A 2001 census extended category of 'Any other White background': three countries, so the category, not one of white/estonian, white/latvian, white/lithuanian."),
    'baltic estonian/latvian/lithuanian': ('nar white.other', "A 2001 census extended category of 'Any other White background': three countries, so the category, not one of white/estonian, white/latvian, white/lithuanian."),
    'ulster scots': ('nar white.british', "A 2001 census extended category of White: Ulster Scots are Northern Irish people of Scottish descent, within the 2021 'English, Welsh, Scottish, Northern Irish or British' box."),
    'mixed irish and other white': ('eq white/mixed-irish', "A 2001 census extended category of White; ONS 2021 codes 'Mixed Irish' write-ins under White as this node."),
    'jewish': ('res not-known', "Named after a religion: Jewish is also an ethnic group in UK law, but the concept does not say which census ethnic group the person chose (ONS 2021 codes Jewish write-ins under White, Mixed and Other alike).", 'religion'),
    'buddhist': ('res not-known', "Named after a religion: it says nothing about the person's ethnic group.", 'religion'),
    'hindu': ('res not-known', "Named after a religion: it says nothing about the person's ethnic group.", 'religion'),
    'muslim': ('res not-known', "Named after a religion: it says nothing about the person's ethnic group (ONS 2021 codes Muslim write-ins under Other as other/muslim, a religion written in the ethnic group box).", 'religion'),
    'sikh': ('res not-known', "Named after a religion: it says nothing about the person's ethnic group (ONS 2021 codes Sikh write-ins under Asian and Other alike).", 'religion'),
}

# 2011: England and Wales and Northern Ireland categories (after the section) -> ons-2011-ew label.
C2011 = {
    'white: english or welsh or scottish or northern irish or british': 'English, Welsh, Scottish, Northern Irish or British',
    'white:eng/welsh/scot/ni/brit': 'English, Welsh, Scottish, Northern Irish or British',
    'white: irish': 'Irish',
    'white: gypsy or irish traveller': 'Gypsy or Irish Traveller',
    'white: gypsy/irish traveller': 'Gypsy or Irish Traveller',
    'white: any other white background': 'Any other White background',
    'white: other white backgrd': 'Any other White background',
    'mixed multiple ethnic groups: white and black caribbean': 'White and Black Caribbean',
    'mixed: white+black caribbean': 'White and Black Caribbean',
    'mixed: white and black caribbean': 'White and Black Caribbean',
    'mixed multiple ethnic groups: white and black african': 'White and Black African',
    'mixed: white+black african': 'White and Black African',
    'mixed: white and black african': 'White and Black African',
    'mixed multiple ethnic groups: white and asian': 'White and Asian',
    'mixed: white+asian': 'White and Asian',
    'mixed: white and asian': 'White and Asian',
    'mixed multiple ethnic groups: any other mixed or multiple ethnic background': 'Any other Mixed or multiple ethnic background',
    'mixed: other mixed/multiple backgrd': 'Any other Mixed or multiple ethnic background',
    'mixed: other mixed/multiple ethnic backgrd': 'Any other Mixed or multiple ethnic background',
    'asian or asian british: indian': 'Indian',
    'asian/asian brit: indian': 'Indian',
    'asian or asian british: pakistani': 'Pakistani',
    'asian/asian british:pakistani': 'Pakistani',
    'asian/asian british: pakistani': 'Pakistani',
    'asian or asian british: bangladeshi': 'Bangladeshi',
    'asian/asian brit: bangladeshi': 'Bangladeshi',
    'asian/asian british: bangladeshi': 'Bangladeshi',
    'asian or asian british: chinese': 'Chinese',
    'asian/asian brit: chinese': 'Chinese',
    'asian/asian british: chinese': 'Chinese',
    'asian or asian british: any other asian background': 'Any other Asian background',
    'asian/asian brit: other asian': 'Any other Asian background',
    'asian/asian british: other asian': 'Any other Asian background',
    'black or african or caribbean or black british: african': 'African',
    'black/african/carib/black brit: african': 'African',
    'black/afri/carib/black brit: african': 'African',
    'black or african or caribbean or black british: caribbean': 'Caribbean',
    'black/african/caribbn/black brit: caribbean': 'Caribbean',
    'black/afri/carib/black brit: caribbean': 'Caribbean',
    'black or african or caribbean or black british: other black or african or caribbean background': 'Any other Black, African or Caribbean background',
    'black/afr/carib/black brit: other black': 'Any other Black, African or Caribbean background',
    'black/afri/carib/black brit: other': 'Any other Black, African or Caribbean background',
    'other ethnic group: arab': 'Arab',
    'other ethnic group: any other ethnic group': 'Any other ethnic group',
    'other ethnic: any other grp': 'Any other ethnic group',
    'other ethnic group: any other grp': 'Any other ethnic group',
}
# Northern Ireland 2011 categories England and Wales does not have.
HNI = {
    'white': ('br white white.british,white.irish,white.roma,white.other', "The Northern Ireland 2011 census had one White box (British, Irish and any other White alike; Irish Traveller apart): as ni-2021 code 1 White, with Roma among the candidates, since Roma had no box of their own until 2021."),
    'irish traveller': ('nar white.gypsy-irish-traveller', "The Northern Ireland 2011 census Irish Traveller box: the Irish Travellers of the 2021 England and Wales Gypsy or Irish Traveller box, as ni-2021 code 2."),
}
# Scotland 2011 categories -> nhs-scotland-ethnic-group code (the NHS Scotland list is the
# Scotland 2011 classification).
CSCOT = {
    'white: scottish': '1A', 'white: other british': '1B', 'white: irish': '1C',
    'white: gypsy or irish traveller': '1K', 'white: gypsy/irish traveller': '1K',
    'white: polish': '1L',
    'white: any other white ethnic group': '1Z', 'white: other white ethnic grp': '1Z',
    'mixed or multiple ethnic groups: any mixed or multiple ethnic group': '2A',
    'mixed/multiple ethnic grps: any': '2A',
    'asian or asian scottish or asian british: pakistani, pakistani scottish or pakistani british': '3F',
    'asian or asian scottish or asian british: pakistani pakistani scottish or pakistani british': '3F',
    'asian: pakistani/pakistani scot/pakistani brit': '3F',
    'asian or asian scottish or asian british: indian, indian scottish or indian british': '3G',
    'asian or asian scottish or asian british: indian indian scottish or indian british': '3G',
    'asian: indian, indian scot/indian brit': '3G',
    'asian or asian scottish or asian british: bangladeshi, bangladeshi scottish or bangladeshi british': '3H',
    'asian or asian scottish or asian british: bangladeshi bangladeshi scottish or banagaldeshi british': '3H',
    'bangladeshi, bangladeshi scot or bangladeshi brit': '3H',
    'asian or asian scottish or asian british: chinese': '3J', 'asian: chinese': '3J',
    'asian or asian scottish or asian british: any other asian group': '3Z',
    'asian: other asian group': '3Z',
    'african: african, african scottish or african british': '4D',
    'african: african african scottish or african british': '4D',
    'african: african/african scot/african brit': '4D',
    'african: any other african': '4Y',
    'caribbean or black: caribbean, caribbean scottish or caribbean british': '5C',
    'caribbean or black: caribbean caribbean scottish or caribbean british': '5C',
    'carib/black: caribbean/carib scot/carib brit': '5C',
    'caribbean or black: black, black scottish or black british': '5D',
    'caribbean or black: black black scottish or black british': '5D',
    'carib/black: black/black scot/black brit': '5D',
    'caribbean or black: any other black or caribbean group': '5Y',
    'carib/black: any other black/caribbean grp': '5Y',
    'other ethnic group: arab, arab scottish or arab british': '6A',
    'other ethnic grp: arab/arab scot/arab british': '6A',
    'other ethnic group: any other ethnic group': '6Z',
    'other ethnic grp: any other ethnic grp': '6Z',
}

RE_2001 = re.compile(r'\s*-?\s*(ethnic category|ethn categ|eth cat|ethnic categ)?\s*2001\s*cens(us)?$')
RE_2011 = re.compile(
    r'\s*-\s*(?P<ed>england and wales|eng\+wales|northern ireland|ni|scotland|scot)?\s*'
    r'(ethnic category|ethnic cat|eth cat|ethnic categ)?\s*2011( census| cens)?( \(finding\))?$')
RE_2011_SHORT = re.compile(r'\s*-\s*(?P<ed>england and wales|eng\+wales|scotland|scot)\s+2011( census| cens)?$')


def census(term):
    """(edition, placement) of a census concept, or None."""
    t = fold(term)
    if '2001' in t:
        m = RE_2001.search(t)
        assert m, term
        key = t[:m.start()].strip()
        if key in C2001:
            return '2001', ref(*C2001[key], '2001 census')
        if key in H2001:
            return '2001', hand(*H2001[key])
        sys.exit(f'2001 census concept not placed: {term!r} ({key!r})')
    if '2011' in t:
        m = RE_2011.search(t) or RE_2011_SHORT.search(t)
        assert m, term
        ed = {'england and wales': 'ew', 'eng+wales': 'ew', 'northern ireland': 'ni', 'ni': 'ni',
              'scotland': 'sc', 'scot': 'sc', None: None}[m.group('ed')]
        key = t[:m.start()].strip()
        if ed is None:
            # CTV3's shortest forms: "... - England and Wales 2011 census" handled above; others
            # name the edition before "ethnic".
            sys.exit(f'2011 census concept without an edition: {term!r}')
        if ed == 'sc':
            if key not in CSCOT:
                sys.exit(f'Scotland 2011 concept not placed: {term!r} ({key!r})')
            return '2011 Scotland', ref('nhs-scotland-ethnic-group', CSCOT[key], 'Scotland 2011 census')
        if key in C2011:
            return f'2011 {ed}', ref('ons-2011-ew', C2011[key],
                                     'England and Wales 2011 census' if ed == 'ew' else
                                     'Northern Ireland 2011 census (the England and Wales category of the same name)')
        if ed == 'ni' and key in HNI:
            return '2011 ni', hand(*HNI[key])
        sys.exit(f'2011 census concept not placed: {term!r} ({key!r}, {ed})')
    return None


def ref(sid, key, what):
    c = SCHEMES[sid][key]
    m = dict(c['map'])
    shown = f"code {key} '{c['label']}'" if 'code' in c else f"'{key}'"
    why = f"The {what} category, mapped as {sid} {shown} is."
    if m.get('note'):
        why += ' ' + m['note']
    m['note'] = why
    return m


def hand(spec, reason, records=None):
    rel, rest = spec.split(' ', 1)
    parts = rest.split(' ')
    m = {'rel': {'eq': 'equivalent', 'nar': 'narrower', 'br': 'broader', 'res': 'residual'}[rel],
         'to': parts[0]}
    if rel == 'br':
        m['candidates'] = parts[1].split(',')
        if len(parts) > 2:
            m['most_likely'] = parts[2]
    m['note'] = reason
    if records:
        m['records'] = records
    return m


# ---- 2. every other concept: hand judgements ----------------------------------------------------
# (spec, reason, records, [terms]). Terms are matched exactly as the codelists spell them.
NAT = 'nationality'
HAND = [
    # White
    ('eq white.british', "White British under an older name.", None,
     ['White British']),
    ('nar white.british', "A part of White British (2021: 'English, Welsh, Scottish, Northern Irish or British').", None,
     ['Other white British ethnic group', 'White Scottish']),
    ('nar white.british', "A national identity, not an ethnic group (the census asks it separately; ONS 2021 also codes English and British write-ins under Mixed, Black and Other). Mapped where the 2021 box of that name is, flagged.", NAT,
     ['English', 'Welsh', 'Race - British']),
    ('br white white.british,white.irish,white.gypsy-irish-traveller,white.roma,white.other', "The whole White group: no category is said.", None,
     ['White - ethnic group', 'Race: Caucasian', 'Caucasian', 'Caucasian (living organism)', 'Caucasian (racial group)']),
    ('br white white.irish,white.gypsy-irish-traveller,white.roma,white.other', "European: White, and not said to be British; could be any other White category (ONS 2021 also codes European write-ins under Mixed and Other).", None,
     ['European']),
    ('eq white.irish', "White Irish under an older name.", None,
     ['White Irish', 'Irish (NMO)']),
    ('br white white.gypsy-irish-traveller,white.roma,white.other white.other', "Read-era 'Other white ethnic group' predates the 2011 Gypsy or Irish Traveller box and the 2021 Roma box, as ons-2001-ew 'Any other White background'.", None,
     ['Other white ethnic group']),
    ('nar white.gypsy-irish-traveller', "Travellers: the 2021 Gypsy or Irish Traveller box (as NHS CL and CM).", None,
     ['Irish traveller', 'Traveller']),
    ('br white white.gypsy-irish-traveller,white.roma white.gypsy-irish-traveller', "'Gypsies' names Gypsies and, as an exonym, Roma: as NHS CN Gypsy/Romany.", None,
     ['Gypsies']),
    ('eq white.roma', "The 2021 Roma box.", None,
     ['Roma', 'Roma ethnic group']),
    ('nar white.roma', "Roma of one country: the 2021 Roma box (the country is not a category of the standard).", None,
     ['Bulgarian Roma', 'Czech Roma', 'Hungarian Roma', 'Polish Roma', 'Romanian Roma', 'Slovak Roma']),
    ('eq white/greek', "ONS 2021 codes a Greek write-in under White as this node.", None, ['Greek (NMO)']),
    ('eq white/greek-cypriot', "ONS 2021 codes a Greek Cypriot write-in under White as this node.", None, ['Greek Cypriot (NMO)']),
    ('eq white/turkish', "ONS 2021 codes a Turkish write-in under White as this node (NHS CH Turkish is under White).", None, ['Turkish (NMO)']),
    ('eq white/turkish-cypriot', "ONS 2021 codes a Turkish Cypriot write-in under White as this node.", None, ['Turkish Cypriot (NMO)']),
    ('nar white.other', "Two write-ins of Other White (Greek and Greek Cypriot, or Turkish and Turkish Cypriot): the category.", None,
     ['Greek &/or Greek Cypriot (NMO)', 'Greek/Greek Cypriot (NMO)', 'Turkish &/or Turkish Cypriot (NMO)', 'Turkish/Turkish Cypriot (NMO)']),
    ('nar white.other', "A European people or region within Other White.", None,
     ['Basques', 'Scandinavian', 'Lapps', 'Other European (NMO)', 'Other European in New Zealand']),
    ('nar white.other', "'Mediterranean' as a race: kept under Other White as OpenSAFELY does, though the southern and eastern shores are Arab and Other in census terms.", None,
     ['Race - Mediterranean']),
    ('nar white/australian-new-zealander', "New Zealanders of European descent: ONS 2021 codes Australian and New Zealander write-ins under White as this node.", None,
     ['New Zealand European']),
    ('nar white/serbian', "ONS 2021 codes a Serbian write-in under White as this node.", None, ['Serbs']),
    ('nar white/armenian', "ONS 2021 codes an Armenian write-in under White as this node (also under Other when written there).", NAT, ['Armenians']),
    ('nar white/greek', "Named after a nationality; ONS 2021 codes a Greek write-in under White as this node.", NAT, ['Greeks']),
    ('nar white/turkish', "Named after a nationality; ONS 2021 codes Turkish write-ins under White, Asian and Other; NHS CH Turkish is under White, and this follows it.", NAT, ['Turks']),
    ('nar white/north-american', "Named after a nationality (Canadians are of every ethnic group); ONS 2021 codes North American write-ins under White as this node.", NAT, ['Canadian']),
    ('nar white.other', "Named after a nationality; Icelanders have no node of their own, so Other White.", NAT, ['Icelanders']),
    # Europeans named after their state: the ONS 2021 White write-in of that name.
    *[(f'nar white/{n}', "Named after a nationality (a national of any ethnic group); ONS 2021 codes the write-in under White as this node.", NAT, [t])
      for t, n in [('Austrians', 'austrian'), ('Belgians', 'belgian'), ('Bulgarian', 'bulgarian'), ('Czech', 'czech'),
                   ('Danes', 'danish'), ('Dutch', 'dutch'), ('Estonians', 'estonian'), ('Finns', 'finnish'),
                   ('French', 'french'), ('Georgians', 'georgian'), ('Germans', 'german'), ('Hungarian', 'hungarian'),
                   ('Italians', 'italian'), ('Norwegians', 'norwegian'), ('Poles', 'polish'), ('Portuguese', 'portuguese'),
                   ('Romanian', 'romanian'), ('Russians', 'russian'), ('Slovak', 'slovakian'), ('Spaniards', 'spanish'),
                   ('Swedes', 'swedish'), ('Swiss', 'swiss'), ('Ukrainian', 'ukrainian')]],
    # Mixed
    ('eq mixed.white-black-caribbean', "The White and Black Caribbean category.", None, ['Black Caribbean and White']),
    ('eq mixed.white-black-african', "The White and Black African category.", None, ['Black African and White']),
    ('br mixed mixed.white-black-african,mixed.white-black-caribbean', "African or Caribbean descent and White: one of the two White and Black categories (OpenSAFELY: White and Black African).", None,
     ['Afro-Caucasian', 'Race: Afro-caucasian']),
    ('eq mixed.white-asian', "The White and Asian category (1991 wording).", None,
     ['Other ethnic, Asian/White orig', 'Other ethnic, Asian/White origin']),
    ('eq mixed/black-and-white-unspecified', "Black and White, not said which Black (1991 wording): as NHS GC Black and White.", None,
     ['Other ethnic, Black/White orig', 'Other ethnic, Black/White origin', 'Other Black - Black/White orig']),
    ('eq mixed/black-and-asian', "Black and Asian: as NHS GA.", None, ['Other Black - Black/Asian orig']),
    ('br mixed mixed.white-black-caribbean,mixed.white-black-african,mixed.other', "1991 'Black other: mixed': Black with White (either White and Black category) or with another group (Other Mixed).", None,
     ['Black - other, mixed']),
    ('br mixed mixed.white-asian,mixed.white-black-african,mixed.white-black-caribbean,mixed.other', "The whole Mixed group: no category is said.", None,
     ['Other ethnic, mixed origin', 'Mixed racial group (racial group)', 'Race: Mixed', 'Mixed ethnic census group']),
    ('eq white/mixed-white', "'Mixed white': as NHS CX Mixed white, which ONS 2021 codes under White (OpenSAFELY: Other Mixed).", None,
     ['Other ethnic, mixed white orig', 'Other ethnic, mixed white origin']),
    ('nar mixed.other', "Other mixed origin: Other Mixed.", None,
     ['Other ethnic, other mixed orig', 'Other ethnic, other mixed origin']),
    # Asian
    ('eq asian.indian', "The Indian category.", None, ['Indian', 'Indian (East Indian)', 'Indian (racial group)', 'Race - Indian']),
    ('nar asian.indian', "Indian, qualified by a language: the language is not an ethnic group; the concept says Indian.", 'language', ['Indians (Hindi-speaking)']),
    ('eq asian.pakistani', "The Pakistani category.", None, ['Pakistani', 'Race: Pakistani']),
    ('nar asian.pakistani', "Pakistani, qualified by a language: the language is not an ethnic group; the concept says Pakistani.", 'language', ['Pakistani (Urduspeakers)']),
    ('eq asian.bangladeshi', "The Bangladeshi category.", None, ['Bangladeshi', 'Race: Bangladeshi']),
    ('eq asian.chinese', "Chinese: an Asian category since 2011 (OpenSAFELY keeps the 2001 frame, Chinese under Other).", None, ['Chinese', 'Race: Chinese']),
    ('br asian asian.bangladeshi,asian.chinese,asian.indian,asian.pakistani,asian.other', "The whole Asian group: no category is said.", None, ['Asian - ethnic group']),
    ('br asian asian.bangladeshi,asian.indian,asian.pakistani,asian.other', "The Indian subcontinent: Indian, Pakistani, Bangladeshi, or Other Asian (Sri Lankan, Nepali).", None, ['Indian sub-continent (NMO)']),
    ('br asian asian.chinese,asian.other', "'Oriental': East Asian, Chinese or another East Asian people.", None, ['Oriental', 'Race: Oriental']),
    ('eq asian.other', "The Other Asian category.", None, ['Other Asian', 'Other Asian (NMO)', 'Other Asian ethnic group']),
    ('nar asian/african-asian', "East African Asian: as NHS LD.", None, ['East African Asian (NMO)']),
    ('nar asian.other', "Caribbean of Asian descent: as NHS LJ Caribbean Asian.", None, ['Indo-Caribbean (NMO)']),
    ('nar asian.other', "East African Asian or Indo-Caribbean: both Other Asian (NHS LD, LJ).", None,
     ['E Afric Asian &/or Indo-Carib (NMO)', 'E Afric Asian/Indo-Carib (NMO)']),
    ('nar asian.other', "South East Asian: Other Asian since 2011 (ONS 2021 codes some South East Asian write-ins under Other ethnic group too).", None, ['South East Asian']),
    ('eq asian/punjabi', "Punjabi: as NHS LB; ONS 2021 codes the write-in under Asian as this node.", None, ['Punjabi']),
    ('eq asian/tamil', "Tamils: as NHS LF; ONS 2021 codes the write-in under Asian as this node.", None, ['Tamils']),
    ('nar asian/japanese', "Japanese: ONS 2021 codes the write-in under Asian as this node.", NAT, ['Japanese', 'Race: Japanese']),
    ('nar asian/korean', "Named after a nationality; ONS 2021 codes a Korean write-in under Asian as this node.", NAT, ['Koreans', 'Race: Korean']),
    ('nar asian/thai', "Named after a nationality; ONS 2021 codes a Thai write-in under Asian as this node.", NAT, ['Thais', 'Siamese']),
    ('nar asian/taiwanese', "Named after a nationality; ONS 2021 codes the write-in under Asian as this node.", NAT, ['Taiwanese']),
    ('nar asian/indonesian', "Named after a nationality; ONS 2021 codes the write-in under Asian as this node.", NAT, ['Indonesians']),
    ('nar asian/indonesian', "A people of Indonesia; ONS 2021 codes Indonesian write-ins under Asian as this node.", None, ['Javanese']),
    ('nar asian/filipino', "Named after a nationality; ONS 2021 codes a Filipino write-in under Asian as this node (NHS SC, from 2001, sits under Other: since 2011 East Asians tick Asian).", NAT, ['Filipinos']),
    ('nar asian/vietnamese', "Named after a nationality; ONS 2021 codes a Vietnamese write-in under Asian as this node (NHS SA, from 2001, sits under Other).", NAT, ['Vietnamese']),
    ('nar asian/nepali-includes-gurkha', "Named after a nationality and a language; ONS 2021 codes a Nepali write-in under Asian as this node.", NAT, ['Nepali']),
    ('nar asian.other', "Named after a nationality; no node of its own, so Other Asian.", NAT, ['Bhutanese', 'Bruneians']),
    ('nar asian.other', "A people of South, South East, East or Central Asia with no node of its own: Other Asian.", None,
     ['Ainu', 'Andamanese', 'Badagas', 'Bajau', 'Bidayuh', 'Bogobos', 'Buriats', 'Chenchu', 'Dyaks', 'Iban', 'Irula',
      'Kadazan', 'Kirghiz', 'Malays', 'Marathas', 'Melanau', 'Mongol', 'Murut', 'Naiars', 'Onge', 'Orang asli',
      'Oraons', 'Todas', 'Senoi', 'South Asian Aborigine', 'Tatars']),
    # Black
    ('eq black.caribbean', "The Caribbean category.", None,
     ['Black Caribbean', 'Afro-Caribbean', 'Race: Afro-Caribbean', 'Black West Indian', 'Race: West indian',
      'Black Caribbean &/or W.I. &/or Guyana', 'Black Caribbean/W.I./Guyana', 'Black Caribbean/West India/Guyana', 'Black Guyana']),
    ('nar black.caribbean', "1991 'Other ethnic group, non-mixed': a Caribbean origin written in by someone who did not tick Black; kept under Caribbean as OpenSAFELY does, though some are Indo-Caribbean or White Caribbean.", None,
     ['Caribbean I. &/or W.I. &/or Guyana (NMO)', 'Caribbean I./W.I./Guyana (NMO)', 'Caribbean Island (NMO)', 'West Indian (NMO)']),
    ('nar black.caribbean', "A country (Guyana), written in under 'Other ethnic group, non-mixed'; kept under Caribbean as OpenSAFELY does.", NAT, ['Guyana (NMO)']),
    ('eq black.african', "The African category.", None, ['Black African']),
    ('nar black.african', "African from a country not listed: African.", None, ['Black - other African country', 'Other African countries (NMO)']),
    ('nar black.african', "Black North African: ONS 2021 codes North African write-ins under Black African (black-african/other-north-african).", None, ['Black North African']),
    ('nar black.african', "A people of Sub-Saharan Africa: African.", None,
     ['Ewe', 'Tutsi', 'Batutsi', 'Hututu', 'Fulani', 'Bantu', 'Hottentot', 'Ibo', 'Msutu', 'Pygmies', 'Hobe', 'Kikuyu',
      'Zulu', 'Xosa', 'Shona', 'Luo', 'Bushmen', 'Khoikhoi', 'Abyssinians (Amharas)', 'Barundi', 'West Africans']),
    ('br black black.african,black.other black.african', "Named after a nationality; ONS 2021 codes the write-in under both Black sections (as NHS PA Somali and PC Nigerian).", NAT,
     ['Somalis', 'Nigerians', 'Ghanaians']),
    *[(f'nar black-african/{n}', "Named after a nationality (a national of any ethnic group); ONS 2021 codes the write-in under Black African as this node.", NAT, [t])
      for t, n in [('Kenyans', 'kenyan'), ('Ugandans', 'ugandan'), ('Gambians', 'gambian'), ('Tanganyikans', 'tanzanian'),
                   ('Sudanese', 'sudanese'), ('Congolese', 'democratic-republic-of-the-congo')]],
    ('nar black.african', "Named after a nationality; no node of its own, so African.", NAT,
     ['Liberians', 'Senegalese', 'Mozambiquans', 'Madagascans']),
    ('br black black.african,black.caribbean,black.other', "The whole Black group: no category is said.", None, ['Black - ethnic group']),
    ('br black black.african,black.caribbean,black.other', "Black Irish (an Irish Census category, Black or Black Irish): any Black category.", None, ['Black Irish (ethnic group)']),
    ('eq black-caribbean/black-british', "Black British: as NHS PD.", None, ['Black British']),
    ('eq black.other', "The Other Black category (2001 'Any other Black background').", None, ['Other black ethnic group']),
    ('nar black.other', "1991 'Black other', non-mixed: Other Black.", None, ['Black, other, non-mixed origin', 'Black Black - other']),
    ('nar black.other', "1991 'Black other' with a North African, Arab, Iranian or Asian origin written in: the person ticked Black, so Other Black (OpenSAFELY agrees).", None,
     ['Black N African &/or Arab &/or Iranian', 'Black N African/Arab/Iranian', 'Black Arab', 'Black Iranian',
      'Black E Afric Asia &/or Indo-Caribb', 'Black East African Asian/Indo-Caribbean', 'Black East African Asian',
      'Black Indo-Caribbean', 'Black Indian sub-continent', 'Black - other Asian']),
    ('eq black-caribbean/black-african-american', "African American: ONS 2021 codes the write-in under Black Caribbean's section as this node.", None, ['African American']),
    # Other
    ('eq other.arab', "The Arab category (since 2011).", None, ['Arab', 'Arabs', 'Race: Arab']),
    ('nar other.arab', "North African Arab: Arab.", None, ['North African Arab (NMO)']),
    ('br other other.arab,other.any-other', "North African Arab or Iranian: Arab, or Any other (Iranian).", None,
     ['N African Arab &/or Iranian (NMO)', 'N African Arab/Iranian (NMO)']),
    ('eq other/iranian', "Iranian: ONS 2021 codes the write-in under Other as this node.", None, ['Iranian (NMO)']),
    ('nar other/iranian', "Named after a nationality; ONS 2021 codes an Iranian write-in under Other as this node.", NAT, ['Irani']),
    ('br other other.arab,other.any-other', "Named after a nationality of Arab and non-Arab peoples (Kurds, Assyrians, Armenians): Arab or Any other.", NAT, ['Iraqi', 'Syrians']),
    ('nar other.arab', "Named after a nationality; Yemen is an Arab country (the UK added this concept for Yemeni communities).", NAT, ['Yemeni']),
    ('nar other.arab', "Named after a nationality; Egypt is an Arab country (OpenSAFELY: African).", NAT, ['Egyptians']),
    ('nar other/other-middle-east', "A Turkic people of Iran: Other Middle Eastern (OpenSAFELY: Other Asian).", None, ['Ghashgai']),
    ('br other other.arab,other.any-other other.any-other', "Any other ethnic group: since 2011 Arab is apart, so one of the two, as NHS S.", None,
     ['Other ethnic group', 'Other ethnic non-mixed (NMO)', 'Other ethnic NEC (NMO)', 'Race: Other']),
    ('nar other/polynesia-micronesia-melanesia', "A people of the Pacific: ONS 2021 codes Polynesian, Micronesian and Melanesian write-ins under Other as this node.", None,
     ['Guamians', 'Kapingas', 'Papuans', 'Oceanian', 'Saipanese', 'Hawaiians', 'Polynesians', 'Melanesians',
      'Admiralty Islanders', 'Easter Islanders', 'Trukese', 'New Caledonians', 'Micronesians', 'Palauans', 'Melanesian',
      'Caroline Islanders', 'Yapese', 'Solomon Islanders', 'Gilbertese', 'Marshallese', 'Ellice Islanders',
      'New Hebrideans', 'Fijian', 'Maori', 'Melanuans', 'Tongan', 'Samoan', 'New Britons', 'Niuean', 'Tokelauan',
      'Cook Island Maori', 'New Zealand Maori', 'Other Pacific ethnic group']),
    ('nar other.any-other', "An indigenous people of the Americas or the Arctic: Any other ethnic group (ONS 2021 has no node for them).", None,
     ['Aymara', 'Coushatta', 'Flathead', 'Xavante', 'Lacandon', 'Aleuts', 'Shoshone', 'Paez', 'Pueblo', 'Utes',
      'Athabascans', 'Bororo', 'Cuna', 'Dieguenos', 'Mexican Indians', 'Seminole', 'Inca', 'Navaho', 'Venezuelan Indians',
      'Maya', 'Choco', 'Blackfeet', 'Huasteco', 'Amerind', 'Aztec', 'Chippewa', 'Brazilian Indians', 'Caingang',
      'Apache', 'Mapuche', 'Labradors', 'Toba', 'Yanomama', 'Huichol', 'Atacamenos', 'Kwakiutl', 'Quechua',
      'Pehuenches', 'Eskimo', 'Nez Percé', 'Alacaluf', 'Bloods']),
    ('nar other.any-other', "Aboriginal Australians: Any other ethnic group.", None, ['Australian Aborigines']),
    ('res not-known', "'South Asian and/or Australian aborigine': no node of the standard contains both (Asian and Other), so the group is not known.", None,
     ['South Asian AND/OR Australian aborigine']),
    ('res not-known', "A heading of New Zealand's classification, whose groups span European, Maori, Pacific and Asian: the group is not known.", None,
     ['New Zealand ethnic groups', 'New Zealand ethnic group NOS', 'Other New Zealand ethnic group']),
    ('res not-known', "1991 'British ethnic minority': any group but White British; no node of the standard contains them, so the group is not known.", None,
     ['Brit. ethnic minor. spec.(NMO)', 'Brit. ethnic minor. unsp (NMO)', 'British ethnic minority specified (NMO)',
      'British ethnic minority unspecified (NMO)']),
    ('res not-known', "A place, not a people: Tristan da Cunha's islanders descend from European, African and Asian settlers; no group is said.", None,
     ['Tristan da Cunhans']),
]

HANDS = {}
for spec, reason, records, terms in HAND:
    for t in terms:
        assert t not in HANDS, t
        HANDS[t] = hand(spec, reason, records)


def mapping(term):
    c = census(term)
    if c:
        return c[1]
    if term not in HANDS:
        sys.exit(f'no judgement for {term!r}')
    return HANDS[term]


def check(m, term):
    for n in [m['to'], *m.get('candidates', [])]:
        assert n in NODES, (term, n)


# ---- 3. write -----------------------------------------------------------------------------------
# OpenSAFELY's Grouping_16 numbers the 2001 census categories in the census's order (its files give
# numbers only): the label is the ons-2001-ew category of that number.
G16 = [''] + [l for l in O01 if l != 'Not stated']
assert len(G16) == 17 and G16[15] == 'Chinese'
# The standard's categories each 2001 category holds.
G16_CATS = {1: {'white.british'}, 2: {'white.irish'}, 3: {'white.gypsy-irish-traveller', 'white.roma', 'white.other'},
            4: {'mixed.white-black-caribbean'}, 5: {'mixed.white-black-african'}, 6: {'mixed.white-asian'},
            7: {'mixed.other'}, 8: {'asian.indian'}, 9: {'asian.pakistani'}, 10: {'asian.bangladeshi'},
            11: {'asian.other'}, 12: {'black.caribbean'}, 13: {'black.african'}, 14: {'black.other'},
            15: {'asian.chinese'}, 16: {'other.arab', 'other.any-other'}}


def q(s):
    return json.dumps(s, ensure_ascii=False)


def emit(path, head, rows):
    o = head[:]
    o.append('codes:')
    for code, term, m in rows:
        o.append(f'  - code: {q(code)}')
        o.append(f'    label: {q(term)}')
        o.append('    map:')
        o.append(f"      rel: {m['rel']}")
        o.append(f"      to: {m['to']}")
        if m.get('candidates'):
            o.append(f"      candidates: [{', '.join(m['candidates'])}]")
        if m.get('most_likely'):
            o.append(f"      most_likely: {m['most_likely']}")
        if m.get('records'):
            o.append(f"      records: {m['records']}")
        o.append(f"      note: {q(m['note'])}")
    open(path, 'w').write('\n'.join(o) + '\n')


def compare(m, g16):
    """How the mapping differs from OpenSAFELY's group, or None when it agrees."""
    ours = CATEGORY_OF.get(m['to'])
    if m.get('records') and m['rel'] == 'residual':
        return f"not an ethnic group ({m['records']}): not known"
    if m['rel'] == 'residual':
        return 'no group can be said: not known'
    if ours is None:
        cands = set(m.get('candidates', []))
        if cands <= G16_CATS[g16]:
            return None
        return f"broader: one of {', '.join(sorted(cands))}"
    if ours in G16_CATS[g16]:
        return None
    return f"{ours}"


def build(path, code_col, term_col, id, head, out_csv):
    rows, seen, diffs, ref = [], set(), [], []
    for r in csv.DictReader(open(path, encoding='utf-8')):
        code, term, g16 = r[code_col], r[term_col], int(r['Grouping_16'])
        if code in seen:
            continue  # the CTV3 list repeats four rows exactly
        seen.add(code)
        m = mapping(term)
        check(m, term)
        rows.append((code, term, m))
        ref.append([code, term, G16[g16], '', f"OpenSAFELY Grouping_16 {g16}, Grouping_6 {r['Grouping_6']}"])
        d = compare(m, g16)
        if d:
            diffs.append((code, term, G16[g16], d))
    emit(f'schema/schemes/{id}.yaml', head, rows)
    with open(out_csv, 'w', newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(['code', 'label', 'group', 'parent_code', 'notes'])
        w.writerows(ref)
    return len(rows), diffs


SNOMED_HEAD = '''# SNOMED CT ethnic group concepts: the 599 of the OpenSAFELY codelist, each mapped into the standard.
# Generated by scripts/transcribe-health-codes.py from fixtures/published/opensafely-ethnicity-snomed-0removed.csv:
# do not edit by hand (edit the script's rules and run it again).
id: snomed-ct
name: "SNOMED CT ethnic group concepts (OpenSAFELY codelist ethnicity-snomed-0removed)"
authority: "NHS England (SNOMED CT UK Clinical Edition); codelist by the OpenSAFELY team (Bennett Institute, University of Oxford)"
version: "opensafely/ethnicity-snomed-0removed 2e641f61"
source_url: "https://www.opencodelists.org/codelist/opensafely/ethnicity-snomed-0removed/2e641f61/"
source: >-
  [official-copy] The 599 concepts (SNOMED CT UK Clinical Edition; 657 ethnicity concepts found,
  non-ethnicity ones removed) of the OpenSAFELY codelist opensafely/ethnicity-snomed-0removed
  version 2e641f61, codes and terms verbatim, read from a study repository that downloaded it
  (opensafely/the-impact-of-covid-19-on-the-care-of-people-with-sickle-cell-disease-interactive,
  codelists/opensafely-ethnicity-snomed-0removed.csv at 7395891b; the same codes and terms as the
  project's shared copy). Terms are as the codelist gives them (a concept's preferred term in the UK
  edition at the time); several concepts share a term. Mappings: census concepts as their census
  category is mapped by the crate's scheme of that census; every other concept a judgement with its
  reason (docs/health-codes.md); `records` marks concepts named after a nationality, a religion or a
  language. OpenSAFELY's own 16- and 6-group assignment is in fixtures/reference/snomed-ct.csv.'''.split('\n')

CTV3_HEAD = '''# CTV3 (Read version 3) ethnicity codes: the 266 distinct codes of the OpenSAFELY codelist, each mapped
# into the standard. Generated by scripts/transcribe-health-codes.py from
# fixtures/published/opensafely-ethnicity-ctv3.csv: do not edit by hand.
id: ctv3
name: "CTV3 (Read version 3) ethnicity codes (OpenSAFELY codelist ethnicity)"
authority: "NHS Digital (Clinical Terms Version 3, retired); codelist by the OpenSAFELY team (Bennett Institute, University of Oxford)"
version: "opensafely/ethnicity 2020-04-27"
source_url: "https://www.opencodelists.org/codelist/opensafely/ethnicity/2020-04-27/"
source: >-
  [official-copy] The codes and descriptions of the OpenSAFELY codelist opensafely/ethnicity
  2020-04-27, verbatim, read from opensafely/vaccine-eligibility, codelists/opensafely-ethnicity.csv
  at d5db7196 (the same codes and descriptions as the project's shared copy). The file has 270 rows
  and 266 distinct codes: 9S5.., 9S51., 9S52. and 9T1C. are each listed twice with the same
  description. CTV3 codes are case-sensitive (XaJRG Cornish, XaJRg Cypriot) and may end in dots.
  GP systems record SNOMED CT now; older extracts hold CTV3 (no withdrawal date is in the
  codelist, so the scheme has no valid_to). Mappings as for snomed-ct (docs/health-codes.md).'''.split('\n')

n_s, d_s = build(SNOMED, 'snomedcode', 'Ethnicity', 'snomed-ct', SNOMED_HEAD, 'fixtures/reference/snomed-ct.csv')
n_c, d_c = build(CTV3, 'Code', 'Description', 'ctv3', CTV3_HEAD + ['case_sensitive: true'], 'fixtures/reference/ctv3.csv')
print(f'snomed-ct: {n_s} codes, {len(d_s)} differ from OpenSAFELY; ctv3: {n_c} codes, {len(d_c)} differ')

# The differences table in docs/health-codes.md, between its markers.
lines = []
for name, diffs in (('SNOMED CT', d_s), ('CTV3', d_c)):
    lines.append(f'\n**{name}**: {len(diffs)} codes placed differently.\n')
    lines.append('| code | term | OpenSAFELY (16 groups) | here |')
    lines.append('| --- | --- | --- | --- |')
    for code, term, g, d in diffs:
        lines.append(f'| `{code}` | {term} | {g} | {d} |')
doc = open('docs/health-codes.md').read()
start, end = '<!-- differences: generated -->', '<!-- differences: end -->'
a, b = doc.index(start) + len(start), doc.index(end)
open('docs/health-codes.md', 'w').write(doc[:a] + '\n' + '\n'.join(lines) + '\n\n' + doc[b:])
