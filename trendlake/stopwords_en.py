"""English stopwords: function words only.

English is removed from every post, whatever its language (it is mixed into posts of every
language on Bluesky), so this list must not hold a word that could trend. The stopwords-iso
English list (1,298 words) does: "world", "new", "year", "home", "free", "today", "computer",
"welcome", "system", "group"... could then never trend, alone or in a phrase ("new york",
"world cup", "happy new year"). This list is NLTK's English stopwords (pronouns,
determiners, prepositions, conjunctions, auxiliaries and their contractions) without the
pieces NLTK's tokenizer cuts contractions into ("haven", "won", "don": words here, where
"haven't" stays whole), plus contractions written the way posts write them ("im", "dont"),
the remaining modals and prepositions and a few very frequent adverbs. Every other word
competes on its own baseline: a common word trends only when it surges against its own
history.
"""

from __future__ import annotations

ENGLISH_STOPWORDS = frozenset(
    """
    i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself
    yourselves he him his himself she she's her hers herself it it's its itself they them
    their theirs themselves what which who whom whose this that that'll these those am is are
    was were be been being have has had having do does did doing a an the and but if or
    because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no
    nor not only own same so than too very can will just don't should should've now aren't
    couldn't didn't doesn't hadn't hasn't haven't isn't mightn't mustn't needn't shan't
    shouldn't wasn't weren't won't wouldn't
    i'm im i've ive i'd i'll youre youve youll dont doesnt didnt cant can't cannot wont isnt
    arent wasnt werent havent hasnt hadnt shouldnt wouldnt couldnt mustnt thats that's
    theres there's whats what's who's let's he'd he'll she'd she'll we're we've we'd we'll
    they're they've they'd they'll theyre it'll
    would could may might must shall ought also yet via per upon onto within without among
    across along around behind beyond toward towards whether though although since unless
    till even still really much many every either neither
    """.split()  # noqa: SIM905 (a word list reads best as words)
)
