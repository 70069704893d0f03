"""The words the cleaning and extraction stages recognise, kept as data and apart from the code.

Everything here is an immutable constant (frozensets, tuples, read-only mappings), so a stage
that reads it cannot change it behind another's back. The stopword sets come from jusText's
stoplists (shipped with the package) and are read once, at import: `justext.get_stoplist`
reads a file, and calling it per article would put file I/O on the hot path.
"""

from __future__ import annotations

import unicodedata
from types import MappingProxyType
from typing import Final

import justext

# --- cleaning: lines of page furniture ---------------------------------------------------------

#: Whole lines that are never article text, compared after `furniture_key()` normalisation
#: (case-folded, punctuation and spacing dropped at both ends, inner spaces collapsed).
FURNITURE_LINES: Final = frozenset(
    {
        "advertisement", "advertising", "ad", "ads", "sponsored", "sponsored content",
        "anzeige", "werbung", "publicité", "publicidad", "pubblicità", "reklama", "annonce", "ad policy",
        "se connecter", "afficher plus", "zobrazit vše", "podcast freigeben", "social sharing", "článek",
        "read more", "read more here", "more", "see more", "show more", "load more",
        "continue reading", "read the full story", "read full article", "full story",
        "weiterlesen", "mehr lesen", "lire la suite", "leer más", "leggi anche",
        "related", "related articles", "related stories", "related news", "related content",
        "more on this story", "more from", "recommended", "most read", "most popular",
        "trending", "top stories", "latest news", "you may also like", "you might also like",
        "share", "share this", "share this article", "share this story", "share article",
        "share on facebook", "share on twitter", "share on whatsapp", "share via email",
        "teilen", "partager", "compartir", "condividi",
        "tweet", "email", "e-mail", "print", "copy link", "link copied", "copied",
        "copiar enlace", "link kopieren", "copier le lien", "copia link",
        "facebook", "twitter", "x", "whatsapp", "telegram", "linkedin", "reddit", "pinterest",
        "subscribe", "subscribe now", "sign up", "sign in", "log in", "login", "register",
        "newsletter", "follow us", "follow", "comments", "comment", "leave a comment",
        "show comments", "hide comments", "view comments", "add comment",
        "podcasts", "podcast", "listen", "listen to this article", "play", "pause",
        "video", "watch", "watch video", "photo", "photos", "gallery", "image", "images",
        "close", "menu", "search", "home", "back to top", "skip to content",
        "skip to main content", "next", "previous", "next article", "previous article",
        "accept", "accept all", "reject all", "manage cookies", "cookie settings",
        "cookies", "privacy policy", "terms of use", "terms of service", "all rights reserved",
        "rt", "afp", "ap", "reuters", "dpa", "getty images", "epa", "ap photo",
        "tags", "topics", "filed under", "trends", "file photo", "reuters file photo",
        "mit agenturmaterial", "wird geladen", "loading", "post on x",
    }
)

#: The labels of a site's navigation bar, as a page's text prints them when a crawler joins the
#: bar's links on one line ("Menu Home News Sport Weather Sign in"): a line that opens with one
#: and holds another, its other words capitalised section names, is the bar, not a headline
#: (`processors.cleaning._is_nav_bar`). Phrases of several words are matched whole.
NAV_BAR_LABELS: Final = frozenset(
    {
        "menu", "home", "search", "sign in", "sign up", "log in", "login", "register", "subscribe",
        "my account", "account", "newsletter", "newsletters", "skip to content", "skip to main content",
        "startseite", "suche", "anmelden", "abonnieren", "mein konto",
        "accueil", "recherche", "rechercher", "connexion", "se connecter", "s'abonner", "mon compte",
        "inicio", "portada", "buscar", "búsqueda", "iniciar sesión", "suscríbete", "suscribirse", "mi cuenta",
        "cerca", "accedi", "abbonati", "registrati",
        "zoeken", "inloggen", "abonneren", "sök", "logga in", "søk", "logg inn", "søg", "log ind",
    }
)

#: Words that join a Title Case headline's words and never name a site's section: a line holding
#: one is no navigation bar (`NAV_BAR_LABELS`).
NAV_BAR_NOT_SECTIONS: Final = frozenset(
    {
        "a", "an", "the", "of", "for", "to", "in", "on", "at", "as", "by", "with", "from", "after",
        "over", "into", "and", "or", "but", "is", "are", "was", "be", "not", "now", "new", "how", "why",
        "what", "who", "will", "can", "after", "before", "than",
        "der", "die", "das", "und", "für", "mit", "von", "zu", "im", "am", "ist",
        "le", "la", "les", "des", "du", "et", "pour", "avec", "sur", "el", "los", "las", "del", "y",
        "para", "con", "il", "di", "per", "het", "een", "voor", "och", "og", "för", "på",
    }
)

#: The fewest words of a navigation bar on one line (`NAV_BAR_LABELS`), and its longest line.
NAV_BAR_MIN_WORDS: Final = 4
NAV_BAR_MAX_CHARS: Final = 160

#: Line openings that mark furniture when the line is short (see `FURNITURE_PREFIX_MAX_CHARS`);
#: a body paragraph may start with "Follow" or "Share", so long lines are never judged by this.
FURNITURE_PREFIXES: Final = (
    "advertisement",
    "read more:",
    "read more about",
    "read also",
    "also read",
    "see also",
    "related:",
    "related article",
    "more:",
    "share on",
    "share this",
    "share via",
    "partager sur",
    "envoyer par e-mail",
    "compartir en",
    "condividi su",
    "delen op",
    "del på",
    "dela på",
    "udostępnij na",
    "sdílet na",
    "compartilhar no",
    "follow us",
    "follow rt",
    "follow @",
    "subscribe to",
    "subscribe for",
    "sign up for",
    "sign up to",
    "click here",
    "tap here",
    "download our app",
    "download the app",
    "listen to",
    "watch:",
    "watch more",
    "video:",
    "photo:",
    "photos:",
    "image:",
    "picture:",
    "file photo",
    "copyright",
    "©",
    "(c) ",
    "all rights reserved",
    "this article was",
    "this story was",
    "tags:",
    "topics:",
    "filed under",
    "trends:",
    "you can share this story",
    "get the latest",
    "join our",
    "legende:",
    "bildlegende:",
    "bildunterschrift:",
    "lesezeit:",
    "reading time:",
    "temps de lecture",
    "in this article:",
    "search for:",
    "folgen auf:",
    "themen:",
)
FURNITURE_PREFIX_MAX_CHARS: Final = 160
#: A link's arrow opening or closing a short line (at most `FURNITURE_PREFIX_MAX_CHARS`): a pointer
#: to another page ("← Previous story ... →", ">> Mehr Gastkommentare", "Proef nu ›"). Not the
#: guillemets, which open and close quotes.
LINK_ARROW_STARTS: Final = ("← ", "‹ ", ">>")
LINK_ARROW_ENDS: Final = (" →", " ›", " ‹", ">>", " >")

#: Phrases that mark a short line (at most `FURNITURE_CUE_MAX_CHARS`) anywhere in it as page
#: furniture, in many languages: pointers to other stories, sign-in, subscription and newsletter
#: prompts, comment sections, share widgets, ad placeholders (compared case-folded, as whole
#: words in spaced scripts). Only phrases a story does not use in its own sentences: not
#: "sign in", "password", "privacy policy", "newsletter".
FURNITURE_CUES: Final = (
    # English
    "story continues below", "article continues below", "continues below advertisement",
    "this advertisement has not loaded", "continue reading below", "create an account", "enter your email",
    "valid email address", "join the conversation", "join the discussion", "leave a comment",
    "comments are closed", "related topics", "you may also like", "you might also like", "recommended for you",
    "top stories", "most popular", "most read", "trending now", "view more offers", "share this article",
    "share this story", "copy link", "advertise with us", "all rights reserved", "video has failed to load",
    "refreshing your browser", "read next", "getty images", "author of the article", "opens new tab",
    "opens in a new tab", "opens in a new window", "newsletter promotion", "straight to your inbox",
    "delivered to your inbox", "support independent journalism", "support our journalism",
    "interested in more newsletters", "manage consent", "manage preferences", "originally published",
    "first appeared on", "first published on", "for the next time i comment", "published posts",
    "back to video", "open this photo in gallery", "google news feed", "copied to clipboard",
    "send us your feedback", "support local journalism", "explore all newsletters", "email address (required)",
    "purchase licensing rights", "thomson reuters trust principles", "would you like to comment", "epaper",
    # German
    "mehr zum thema", "das könnte sie auch interessieren", "lesen sie auch", "auch interessant",
    "hinweis auf einen verwandten artikel",
    "aus dem ressort", "zu den kommentaren", "kommentar verfassen", "kommentare anzeigen", "melden sie sich an",
    "teilen-funktion", "artikel teilen", "folgen sie uns", "alle rechte vorbehalten", "kostenlos testen",
    "ein klick für den datenschutz", "mehr lesen über", "themen des artikels", "weitere artikel",
    "empfohlener redaktioneller inhalt", "sie befinden sich hier", "jetzt anmelden", "anmeldung zum newsletter",
    "alle artikel zum thema", "in einem neuen fenster geöffnet", "seite drucken", "dieses thema im programm",
    "box aufklappen", "öffnet im neuen fenster", "in neuem fenster geöffnet", "newsletter bestellen",
    "unterstützten browser", "hier anmelden", "abo abschließen", "direkt ins postfach", "um einen kommentar",
    "kommentarfunktion", "netiquette", "externen inhalt anzeigen", "externe inhalte angezeigt",
    "fehler gefunden?", "fehler melden", "aus dem englischen von", "ist zuerst bei", "erschien zuerst",
    "zuerst erschienen", "für das nächste mal speichern", "in die zwischenablage", "in ihrer zwischenablage",
    "link kopiert", "einen externen inhalt", "externer inhalt", "kommentar-regeln", "kommentarregeln",
    "uns ihr feedback", "lesen sie mehr zu", "ähnliche beiträge", "artikel zum hören", "lesen sie hier mehr",
    "über dieses thema berichtet", "weitere informationen zum bild", "zitiervorschlag",
    "rechte an diesem artikel erwerben", "link zum youtube-inhalt", "mit einem klick anzeigen lassen",
    "abbrechen mit escape", "min.. verfügbar bis", "originalartikel auf englisch",
    # French
    "lire aussi", "à lire aussi", "sur le même sujet", "abonnez-vous", "créer un compte", "suivez-nous",
    "tous droits réservés", "copier le lien", "ajouter à vos sélections", "découvrir les offres",
    "inscrivez-vous", "traduit de l'anglais", "publié initialement", "la prochaine fois que je commente",
    "lien copié",
    # Spanish, Portuguese, Italian, Dutch
    "lee también", "te puede interesar", "suscríbete", "crear cuenta", "lo más leído", "ver más artículos",
    "regístrate", "area personale", "abbonamento digitale", "word abonnee", "síguenos",
    "todos los derechos reservados", "leia também", "veja também", "assine já", "cadastre-se", "leggi anche",
    "potrebbe interessarti", "tutti i diritti riservati", "lees ook", "traducido del inglés",
    "la próxima vez que comente", "enlace copiado", "la prossima volta che commento", "raccomandati per te",
    "lees meer over",
    # Lithuanian
    "taip pat skaitykite",
    # Norwegian, Danish, Swedish, Zulu
    "les også", "læs også", "läs också", "läs även", "funda olunye udaba", "lyssna på artikel",
    "öppna bild i helskärm", "gem på læseliste", "del artiklen", "anmäl text- och faktafel",
    # Russian, Ukrainian, Polish, Czech, Turkish
    "читайте также", "читайте також", "подписывайтесь", "підписуйтесь", "новости по теме", "czytaj także",
    "czytaj też", "přečtěte si také", "ilginizi çekebilir",
    # Japanese, Chinese, Korean
    "関連記事", "あわせて読みたい", "続きを読む", "この記事を共有", "会員限定", "有料会員", "有料記事", "会員登録", "関連キーワード", "おすすめ情報", "相关新闻", "相关阅读",
    "责任编辑", "分享到", "관련기사", "무단전재", "재배포 금지",
    # Arabic, Hebrew, Hindi
    "اقرأ أيضا", "اقرأ أيضاً", "קראו גם", "यह भी पढ़ें", "ये भी पढ़ें",
)
FURNITURE_CUE_MAX_CHARS: Final = 120
#: Sign-in, subscription, consent and browser prompts: a site's own voice about its accounts and
#: its visitor's data, which a story does not speak in (unlike "most read" or "getty images" in
#: `FURNITURE_CUES`): a line of at most `PROMPT_CUE_MAX_CHARS` holding one is furniture (a
#: paywall's or a consent dialog's paragraph runs past `FURNITURE_CUE_MAX_CHARS`).
PROMPT_CUES: Final = (
    "sign in or create", "create a free account", "already a subscriber", "already have an account",
    "subscribe now", "subscribe to our", "forgot your password", "thanks for signing up", "sign in to unlock",
    "register to unlock", "reserved for subscribers", "registering for free", "check your junk folder",
    "consent to receive", "welcome email is on its way", "will soon be in your inbox", "we use your sign-up",
    "please enable javascript", "enable javascript, and", "additional articles per month", "read our privacy",
    "sign up for our", "sign up to our", "signing up to our", "already subscribed", "have an account?",
    "start reading now", "available exclusively to", "exclusively for subscribers", "issue signing you up",
    "browser version with limited support", "disable the ad blocking", "by providing your email",
    "you accept our terms", "agree to receive", "opt-out of the sale", "bookmark our", "jetzt abonnieren",
    "jetzt registrieren", "passwort vergessen", "ich bin damit einverstanden", "ich akzeptiere die",
    "kostenlos anmelden", "kostenlos registrieren", "newsletter abonnieren", "ihr browser ist veraltet",
    "aktivieren sie javascript", "nur für registrierte", "sie sind nicht angemeldet", "bestätigungslink",
    "unserer datenschutzerklärung", "personenbezogene daten an", "zustimmen & weiter", "zustimmen und weiter",
    "mot de passe oublié", "déjà abonné", "réservé aux abonnés", "réservée aux abonnés", "je m'abonne",
    "je m’abonne", "déjà inscrit", "ya eres suscriptor", "tu suscripción", "para suscriptores",
    "nog geen abonnee", "als abonnee", "browser moderno",
    # a site's notes on its own article: gifts, read-aloud copies, machine translations, device limits
    "enjoyed this story", "by submitting your email", "schenkt dir diesen artikel", "artikel verschenken",
    "auf die zweitbeste art", "dies ist eine maschinelle übersetzung", "ljuduppspelningen är ai-genererad",
    "sur un seul appareil à la fois", "en cours sur un autre appareil", "continuer à lire ici",
    "pourquoi voyez-vous ce message", "por qué estás viendo esto", "si continúas leyendo en este dispositivo",
    "continuar leyendo aquí",
    # a subscription's offer: what it includes
    "unlimited online access", "unlimited digital access", "print subscriber", "activate your online access",
    "commenting community", "get email updates from your favourite authors",
    "sign in without password", "award-winning newsletters", "trending news of the day", "subscriber only",
    # an author's links under the story ("You can email ... here, and read more of ...'s articles here")
    "articles here",
)
PROMPT_CUE_MAX_CHARS: Final = 200
#: The visitor's sign-in state above a comment form ("Sie sind eingeloggt.", "Sie sind angemeldet
#: als: ...", "Logged in as Log out?"): a line of at most `PROMPT_CUE_MAX_CHARS` opening with one,
#: or of at most `SIGN_IN_LINE_MAX_CHARS` holding one ("DM is much better if you are signed
#: in..."). Not any line holding one: a story's attackers "logged in as an administrator".
SIGN_IN_STATES: Final = (
    "you are logged in", "you are signed in", "logged in as", "signed in as", "sie sind eingeloggt",
    "sie sind angemeldet", "du bist eingeloggt", "du bist angemeldet", "vous êtes connecté",
    "connecté en tant que", "has iniciado sesión", "sei connesso",
)
SIGN_IN_LINE_MAX_CHARS: Final = 50
#: The credits that close an agency's story ("Reporting by ..., additional reporting by ...,
#: Editing by ..."), which name many people and run longer than other cues' lines: a line of at
#: most `STORY_CREDIT_CUE_MAX_CHARS` holding one is furniture.
STORY_CREDIT_CUES: Final = ("additional reporting by", "with reporting by", "editing by", "writing by")
STORY_CREDIT_CUE_MAX_CHARS: Final = 300

#: Headings of what follows an article (its comments, the most read), in many languages (not
#: those of boxes that may stand inside a story: "related", "das könnte Sie auch interessieren"),
#: compared as whole lines after `furniture_key()`, with or without a count ("5 comentarios",
#: "All Comments 4"): the densest span pays `SECTION_WALL_CHARS` to run on past one.
SECTION_HEADINGS: Final = (
    "comments", "comment", "all comments", "show comments", "view comments", "reader comments",
    "leave a reply", "leave a comment", "join the conversation", "join the discussion",
    "most read", "most popular", "you may also like", "you might also like", "top stories", "trending",
    "trending now", "read next", "kommentare", "kommentar", "meistgelesen", "meistgelesene artikel",
    "commentaires", "commentaire", "les plus lus", "comentarios", "comentario", "lo más leído",
    "commenti", "più letti", "reacties", "kommentarer", "leggi i commenti", "i commenti dei lettori",
    "raccomandati per te", "leserkommentare", "comentários", "komentáře", "komentarze", "yorumlar", "комментарии",
    "коментарі", "kommentit", "hozzászólások", "σχόλια", "תגובות", "التعليقات", "コメント", "评论", "댓글",
    "meest gelezen", "mest lest", "mest læste", "mest lästa", "más leídas", "lo más visto", "più lette",
    "mais lidas", "najczęściej czytane", "nejčtenější", "самое читаемое", "en çok okunanlar", "アクセスランキング",
    "많이 본 뉴스",
)
SECTION_WALL_CHARS: Final = 300
#: How the heading of a box of more stories after an article opens ("More from Reuters", "Mehr
#: von CORRECTIV", "Mehr zu Fleischkonsum"), compared case-folded: a line of at most
#: `SECTION_HEADING_PREFIX_MAX_WORDS` words opening so, and not ending a sentence, goes, and the
#: span pays `BOX_HEADING_WALL_CHARS` to run on past it: less than after a comments heading, as
#: such a box may stand inside a story. Not "mehr zum" ("Mehr zum Thema" inside FAZ's story),
#: "more on" ("More on this story"), nor "plus de", "más de" ("more than": a subhead).
SECTION_HEADING_PREFIXES: Final = (
    "more from ", "mehr von ", "mehr zu ", "mehr aus ", "altro da ", "meer van ", "mer fra ",
    "mere fra ", "mer från ",
)
SECTION_HEADING_PREFIX_MAX_WORDS: Final = 5
BOX_HEADING_WALL_CHARS: Final = 100
#: A heading with its count ("3 Kommentare", "All Comments 4") heads the comments for sure, which
#: often hold more prose than the story: the span pays this much to run on past one.
COUNTED_SECTION_WALL_CHARS: Final = 1500
#: The verb that closes a comment's head under an article ("Richard Bryant says:", "Karl sagt:"),
#: as blogging software prints it: when a page has `COMMENT_HEADS_MIN` such lines or more, they
#: go, and each is a wall like a section heading's (one such line may be a story's "X says:").
COMMENT_HEAD_VERBS: Final = ("says", "writes", "sagt", "schreibt", "dit", "dice", "escribe", "scrive", "zegt",
                             "schrijft", "skriver", "säger", "siger", "пишет")
COMMENT_HEAD_MAX_CHARS: Final = 60
COMMENT_HEADS_MIN: Final = 2

#: A teaser's or a comment's age standing alone on a line ("vor 3 Stunden", "22 hours ago",
#: "il y a 2 jours", "Heute, 12:34 Uhr"): a list of other stories or of comments, never a story's
#: text: such a line goes. In each language: the words before the count ("" for none), the units,
#: the words after it.
AGE_LINE_FORMS: Final = (
    ("", ("seconds", "second", "secs", "minutes", "minute", "mins", "min", "hours", "hour", "hrs", "hr", "h", "days",
          "day", "weeks", "week", "months", "month"), "ago"),
    ("vor", ("sekunden", "sekunde", "minuten", "minute", "min", "stunden", "stunde", "std", "tagen", "tag",
             "wochen", "woche", "monaten", "monat"), ""),
    ("il y a", ("secondes", "seconde", "minutes", "minute", "min", "heures", "heure", "h", "jours", "jour",
                "semaines", "semaine", "mois"), ""),
    ("hace", ("segundos", "segundo", "minutos", "minuto", "min", "horas", "hora", "h", "días", "día", "semanas",
              "semana", "meses", "mes"), ""),
    ("", ("secondi", "secondo", "minuti", "minuto", "ore", "ora", "giorni", "giorno", "settimane", "settimana",
          "mesi", "mese"), "fa"),
    ("", ("seconden", "minuten", "minuut", "uur", "dagen", "dag", "weken", "week", "maanden", "maand"), "geleden"),
    ("há", ("segundos", "minutos", "minuto", "horas", "hora", "dias", "dia", "semanas", "semana"), ""),
    ("for", ("sekunder", "minutter", "minutt", "timer", "time", "dager", "dage", "dag", "uker", "uke"), "siden"),
    ("för", ("sekunder", "minuter", "minut", "timmar", "timme", "dagar", "dag", "veckor", "vecka"), "sedan"),
    ("", ("sekund", "minut", "minuty", "godzin", "godziny", "godzinę", "dni", "dzień"), "temu"),
    ("před", ("minutami", "minutou", "hodinami", "hodinou", "dny", "dnem"), ""),
    ("", ("saniye", "dakika", "saat", "gün", "hafta", "ay"), "önce"),
    ("", ("секунд", "секунды", "секунду", "минут", "минуты", "минуту", "час", "часа", "часов", "день", "дня",
          "дней", "неделю", "недели"), "назад"),
    ("", ("хвилин", "хвилини", "хвилину", "годин", "години", "годину", "днів", "дні", "день", "тижні"), "тому"),
    ("", ("초", "분", "시간", "일", "주", "개월"), "전"),
)
#: The same in scripts written without spaces: units glued to the count and to the word after it
#: ("3時間前", "5分钟前").
AGE_LINE_UNSPACED_FORMS: Final = (
    (("秒", "分", "分钟", "分鐘", "時間", "小时", "小時", "日", "天", "週間", "周", "か月", "ヶ月", "个月", "個月"), "前"),
)
#: The counts such a line may give in words ("vor einer Stunde", "an hour ago").
AGE_LINE_ONE: Final = ("a", "an", "one", "einer", "einem", "un", "une", "una", "uno")
#: "Today"/"yesterday" and a time of day ("Heute, 12:34 Uhr", "Gestern 18:02").
AGE_LINE_DAYS: Final = ("today", "yesterday", "heute", "gestern", "aujourd'hui", "hier", "hoy", "ayer", "oggi", "ieri",
                        "vandaag", "gisteren")
#: Month and weekday names that `MONTHS` and `WEEKDAYS` (which `parse_dateline` reads) leave out,
#: for telling a date alone on a line with its label ("4 Febbraio 2025 - 14:41", "mandag 5. august
#: kl. 14:47", "Actualizado el 25/05/2025 21:57 h"): Italian, Portuguese, Dutch, Scandinavian.
DATE_LINE_MONTHS: Final = frozenset(
    {
        "gennaio", "febbraio", "aprile", "maggio", "giugno", "luglio", "settembre", "ottobre", "dicembre",
        "janeiro", "fevereiro", "março", "maio", "junho", "julho", "setembro", "outubro", "novembro", "dezembro",
        "januari", "februari", "maart", "mei", "augustus", "desember",
        "lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica",
        "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag", "måndag", "tisdag", "lördag",
        "söndag", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
    }
)
#: How many other words a line holding a date or a time may have and still be a date line: its
#: labels ("Publié le ..., modifié le ...", "Giriş: ... Güncelleme: ..."), a place or an author's
#: name before it ("Frankfurt, October 23, 2024, 3:48 Uhr"). Month and weekday names, and
#: one-letter words, do not count.
DATE_LINE_MAX_WORDS: Final = 5
#: What may follow a time of day before a timeline's or a programme's entry goes on after a colon
#: or a dash ("9:00 Uhr: Gottesdienst in der Stadtkirche", "10:30 a.m. - Opening remarks").
TIME_OF_DAY_SUFFIXES: Final = ("uhr", "h", "a.m.", "p.m.", "am", "pm")
DATE_LINE_MAX_CHARS: Final = 70
#: A reading time alone on a line, or closing one ("3 Min.", "4 minute read", "Lesedauer: 2 Min.",
#: "15.04.2026 - 15:48 Uhr Lesedauer: 2 Min."): its labels and its units.
READING_TIME_LABELS: Final = ("lesedauer", "lesezeit", "reading time", "read time", "temps de lecture",
                              "tiempo de lectura", "tempo di lettura", "leestijd", "lesetid", "lästid")
READING_TIME_UNITS: Final = ("min", "mins", "minute", "minutes", "minuten", "minutos", "minuti", "minutter",
                             "minuter")

#: The link that closes a teaser's summary or headline, after its last sentence's mark or a bar
#: ("... sei überfordert. mehr", "Rund 400 Feuerwehrleute protestieren | mehr", "... | audio"),
#: compared case-folded: a line that ends so points to another story.
TEASER_LINK_WORDS: Final = ("mehr", "more", "read more", "weiterlesen", "audio", "video", "lire la suite",
                            "leer más", "leia mais", "leggi", "lees meer", "les mer", "läs mer", "læs mere")

#: Words of a widget's label, compared case-folded word by word: a short label with one of them
#: between two paragraphs ("Photo Gallery", "Latest Videos", "Listen Here", "Top Picks", "Nos
#: partenaires") titles a gallery, a player or a list of links, not the next paragraph.
WIDGET_LABEL_WORDS: Final = frozenset({
    "gallery", "galleries", "galerie", "bildergalerie", "fotogalerie", "galería", "galleria",
    "video", "videos", "vidéo", "vidéos", "vídeo", "vídeos", "photos", "fotos", "podcast", "podcasts",
    "listen", "hören", "écouter", "watch", "picks", "partners", "partner", "partenaires", "sponsored",
    "anzeige", "werbung", "advertisement", "publicité", "newsletter", "latest", "trending",
    "popular", "related", "recommended", "empfohlen",
})

#: Class names of an article body's container: the class pattern of trafilatura's first
#: `BODY_XPATH` expression (a regular expression).
BODY_CONTAINER_CLASSES: Final = (
    r"post[-_]text|post-body|post-?entry|post[-_]?content|postContent|post_inner_wrapper|article-?text"
    r"|articleText|(?:entry|page|text|article|art)-content|article__content|article(?:-|__)?body|articleBody"
    r"|ArticleContent|body-text|article__container"
)

#: Classes of boxes set beside a story's text (fact boxes, info boxes, polls), a regular
#: expression: such a container goes before the body is extracted.
BOX_CLASSES: Final = r"(?i:fact-?box|info-?box)|\bpoll\b|Poll"

#: Classes of the <blockquote> that social networks' embed snippets wrap a post in.
SOCIAL_EMBED_CLASSES: Final = ("twitter-tweet", "twitter-video", "instagram-media", "tiktok-embed")

#: A line of at most REPEATED_LINE_MAX_CHARS that comes back this many times in one article is
#: furniture (an embed's placeholder, a consent notice), dropped every time.
REPEATED_LINE_TIMES: Final = 3
REPEATED_LINE_MAX_CHARS: Final = 300

#: A line of at most COOKIE_LINE_MAX_CHARS that says "cookie" and one of these (openings of
#: words, compared case-folded) is a cookie banner or a consent dialog's text ("These cookies are
#: necessary for the website to function", "Ihre derzeitigen Cookie-Einstellungen"), not a
#: recipe's cookies.
COOKIE_CONTEXT_WORDS: Final = (
    "we use", "we store", "this site", "this website", "our site", "our website", "by continuing", "by using",
    "accept", "consent", "privacy", "partner", "website", "browser", "third part", "third-part", "set by",
    "installed by", "session", "domain", "tracking", "track", "analytic", "advertis", "personal", "policy",
    "setting", "preference", "necessary", "functional", "performance", "targeting",
    "wir verwenden", "wir nutzen", "einstellung", "einwillig", "zustimm", "datenschutz", "technologie",
    "drittanbiet", "werbung", "speicher", "verarbeit",
    "nous utilisons", "paramètre", "navigat", "données", "utilizamos", "configuración", "datos", "utilizziamo",
    "impostazion", "dati", "gebruik", "instelling",
)
COOKIE_LINE_MAX_CHARS: Final = 400
#: A line of at most this many characters holding an e-mail address may be the site's note to
#: its readers ("Fehler entdeckt? Wir freuen uns über eine Mail an ...", "Contact us today: News:
#: ...") or a picture's credit; it is when it is short, when the address follows a label or a
#: name ("Email: ...", "Jacob Sjöman, jacob@..."), or when the site speaks as "we" to its readers
#: (`EMAIL_SITE_VOICE`) outside a quotation. A story names addresses too: a phishing mail's
#: sender, a police appeal's "per E-Mail an hinweise@polizei...".
EMAIL_LINE_MAX_CHARS: Final = 400
#: A line holding an e-mail address and no longer than this is a contact line ("E-post: ...").
EMAIL_SHORT_LINE_MAX_CHARS: Final = 60
#: A label or a name before an address and its colon or comma ("Advertising:", "Jacob Sjöman,")
#: has at most this many words; a sentence's words run on longer ("... on its website: ...").
EMAIL_LABEL_MAX_WORDS: Final = 3
#: The site as "we", the reader's object ("Contact us", "schicken Sie uns", "Tipsa oss"); lower
#: case, as "US" is the country.
EMAIL_SITE_VOICE: Final = ("us", "uns", "oss", "nous", "nos")
#: Marks of a quotation: a line quoting someone's "contact us" is the story's.
QUOTATION_MARKS: Final = "\"“”„«»"
#: A site speaking of itself and its partners: a line longer than `COOKIE_LINE_MAX_CHARS` that
#: names cookies in this voice is a consent dialog's or a cookie policy's text, not a story's.
COOKIE_POLICY_VOICE: Final = (
    "we use", "we store", "our partners", "our website", "our site", "this site", "this website",
    "wir verwenden", "wir nutzen", "setzen wir", "verarbeiten wir", "unsere partner", "unsere website",
    "unserer website", "unseres angebot", "diese website", "nous utilisons", "nos partenaires", "notre site",
    "ce site", "utilizamos", "nuestros socios", "nuestro sitio", "utilizziamo", "nostro sito", "wij gebruiken",
    "onze partners", "onze website",
)

#: Tokens of a run of icon labels ("icon bookmark-bicon bookmarkicon cameraicon ..."): a line
#: whose tokens mostly contain one of these is a sprite sheet's text, not prose.
ICON_MARKERS: Final = ("icon",)

#: Media-player tails: a lone duration ("0:00", "14:40", "1:02:33") or one of these words.
PLAYER_LINES: Final = frozenset({"podcasts", "podcast", "live", "audio", "mute", "unmute",
                                 "fullscreen", "settings", "replay", "playback speed"})

#: Openings of a byline; what follows is one name or several joined by AUTHOR_JOINERS.
BYLINE_PREFIXES: Final = ("by", "written by", "words by", "reporting by", "von", "par", "por",
                          "di", "door", "author:", "authors:", "autor:", "autorin:", "autor",
                          "autorin", "text:", "texto:", "auteur:")
#: A byline that names the piece's genre first ("Kommentar von Nicole Opitz", "Kolumne von Lars
#: Brunckhorst", "A column by ..."): the text path reads it as a byline, as it does "Von ...".
BYLINE_GENRE_PREFIXES: Final = tuple(
    f"{article}{genre} {by}"
    for genres, articles, by in (
        (("kommentar", "kolumne", "analyse", "glosse", "reportage", "rezension", "gastbeitrag", "gastkommentar",
          "essay", "interview"), ("", "ein ", "eine "), "von"),
        (("column", "analysis", "opinion", "commentary", "review", "essay", "interview"), ("", "a ", "an "), "by"),
        (("chronique", "analyse", "tribune", "éditorial", "critique"), ("", "une ", "un "), "par"),
        (("columna", "análisis", "opinión", "crónica", "tribuna"), ("", "una ", "un "), "por"),
    )
    for genre in genres
    for article in articles
)
AUTHOR_JOINERS: Final = (",", " and ", " & ", " und ", " et ", " y ", " e ", " en ", " og ",
                         " och ")

#: News agencies whose copy a paper prints under their name ("AFP, MANILA" under a headline),
#: compared case-folded.
NEWS_AGENCIES: Final = frozenset(
    {
        "afp", "ap", "associated press", "reuters", "dpa", "apa", "sda", "keystone-sda", "ansa",
        "efe", "europa press", "lusa", "anp", "belga", "ritzau", "ntb", "tt", "stt", "pap", "čtk",
        "ctk", "mti", "tass", "ria novosti", "interfax", "ukrinform", "anadolu ajansı",
        "anadolu agency", "xinhua", "cna", "kyodo", "jiji", "jiji press", "yonhap", "bernama",
        "antara", "pti", "ians", "ani", "aap", "sapa", "kna", "epd", "bloomberg",
    }
)

#: Labels of the editors' credit under a Chinese article ("(责编：牛镛、岳弘彬)", "责任编辑：王文").
EDITOR_CREDIT_LABELS: Final = ("责任编辑", "责编")

#: Credits that name a role, not a person ("Mathias Hagen / Journalist"): such a part of a
#: credit is dropped (compared case-folded).
AUTHOR_ROLES: Final = frozenset(
    {
        "journalist", "journalistin", "reporter", "reporterin", "correspondent", "korrespondent",
        "korrespondentin", "editor", "redakteur", "redakteurin", "staff writer", "contributor",
        "columnist", "photographer", "fotograf", "journaliste", "periodista", "redactor",
        "redactora", "giornalista", "기자", "특파원", "記者", "特派員",
    }
)
#: An author's note at a story's foot ("Laura Jedeed is a freelance journalist based in New York
#: City.", "Manuela Conrad ist ZDF-Reporterin für ..."): a name, one of these verbs, then, within
#: `AUTHOR_BIO_ROLE_REACH` characters, one of `AUTHOR_ROLES` or of these (compared case-folded).
#: Present tense only: a note says what its author is, and "... was a professor" at a story's
#: foot is the story's own (an obituary's, a profile's).
AUTHOR_BIO_VERBS: Final = ("is", "ist", "est", "es", "è", "er", "är", "is een")
AUTHOR_BIO_ROLES: Final = frozenset(
    {
        "writer", "researcher", "professor", "freelance", "editorial staff", "fellow", "author", "autor",
        "autorin", "kolumnist", "kolumnistin", "rédacteur", "rédactrice", "correspondant", "correspondante",
        "chroniqueur", "chroniqueuse", "corresponsal", "columnista", "corrispondente", "redaktør", "skribent",
    }
)
AUTHOR_BIO_ROLE_REACH: Final = 120
#: How many of a body's last lines are looked at for an author's note.
AUTHOR_BIO_TAIL_LINES: Final = 3
#: Role words written after a name in Korean, Japanese and Chinese bylines ("신현주 기자"):
#: dropped from the end of a name.
AUTHOR_ROLE_SUFFIXES: Final = frozenset({"기자", "특파원", "記者", "特派員", "编辑", "記"})

#: Credits that name a desk or a source, not a person ("Red", short for Redaktion; "Agenturen"):
#: like the publisher's name, they are the author only when no person is named.
AUTHOR_DESKS: Final = frozenset(
    {
        "red", "redaktion", "agenturen", "agentur", "agencies", "agency", "agences", "agencias",
        "agenzie", "newsroom", "news desk", "staff", "admin", "editorial", "redacción",
        "rédaction", "redazione", "redactie",
    }
)

#: A credit opening with one of these words and a colon is a picture's ("(Image: Getty Images)").
PICTURE_CREDIT_WORDS: Final = ("image", "photo", "picture", "foto", "bild", "credit", "illustration")

#: Labels of a picture's or a video's credit line, in many languages ("Photo: AFP", "Foto: dpa",
#: "写真：共同", "Фото: ТАСС"): a line that is such a label, a colon (or a slash) and a short
#: credit (`CREDIT_LINE_MAX_CHARS` at most) is page furniture, compared case-folded.
CREDIT_LABELS: Final = (
    "photo credit", "photo credits", "photograph", "photographs", "photos", "photo", "pictures", "picture",
    "pics", "pic", "images", "image", "credits", "credit", "illustration", "graphic", "video",
    "foto", "fotos", "fotografie", "bild", "bilder", "grafik", "bildquelle", "crédit photo",
    "crédits photo", "crédit", "fotografía", "imagen", "fotografia", "quelle", "kilde", "källa",
    "immagine", "zdjęcie", "fot", "kuva", "billede", "foto/video", "φωτογραφία", "fotó", "kép", "bildrechte",
    "image credits", "image credit", "source", "sources", "fuente", "fonte", "bron", "źródło", "zdroj", "kaynak", "источник", "джерело",
    "写真", "撮影", "画像", "照片", "图片", "圖片", "图", "圖", "摄影", "攝影", "来源", "來源", "出典", "사진", "출처",
    "фото", "фотография",
    "תמונה", "צילום", "صورة", "تصوير", "الصورة", "फोटो", "तस्वीर", "ภาพ",
)
CREDIT_LINE_MAX_CHARS: Final = 60

#: A picture's caption ends with its credit: after the caption's last sentence (or a dash, a
#: bar or an opening bracket) comes one of `CREDIT_LABELS`, or one of these, then a colon, a
#: slash or "by" and at most `CAPTION_CREDIT_MAX_CHARS` of names ("... in Karachi. Photo by
#: Rizwan Tabassum /AFP via Getty Images", "... (AP Photo/Alex Brandon)", "... (Image: Getty)",
#: "...Teamleistung.Foto: Alexander Daleiden"). "©" needs no separator ("... Rund um den
#: Brandort gibt es Sperrungen. © DPA Images | Christoph Soeder"), nor "Copyright" after a
#: dash or a bar ("... police officer - Copyright Fredrik Persson/AP").
CAPTION_CREDIT_LABELS: Final = ("ap photo", "afp photo", "reuters photo", "photo illustration")
#: The labels of a picture's credit that may close a caption after a comma or a space alone,
#: without the stop before them ("... nicht mehr geben, Foto: LAT Images", "... im Wind Foto:
#: Editpress/Fabrizio Pizzolante"): words that name a picture and not a paper ("Bild" does both).
CAPTION_PLAIN_CREDIT_LABELS: Final = ("foto", "fotos", "photo", "photos", "image", "picture")
CAPTION_CREDIT_MAX_CHARS: Final = 100

#: Picture agencies and libraries (compared case-folded). A line closed by a credit that joins one
#: of them and a photographer with a slash ("Friso Gentsch/dpa", "EFE/ J.J. Guillén", "(Lintao
#: Zhang/Getty Images)", "Pavel Golovkin/dpa/picture alliance") is a caption with its credit.
PHOTO_AGENCIES: Final = (
    "dpa", "afp", "ap", "reuters", "efe", "epa", "imago", "getty", "getty images", "picture alliance",
    "picture-alliance", "keystone", "anp", "ansa", "europa press", "unsplash", "pexels", "shutterstock", "istock",
    "istockphoto", "anadolu", "xinhua", "pa", "pa images", "pa wire", "swns", "belga", "tass", "sipa", "abaca", "apa",
    "ntb", "tt", "ritzau", "ritzau scanpix", "scanpix", "lusa", "kyodo", "yonhap", "zuma", "alamy", "ap photo",
    "afp photo", "reuters photo",
)
#: A caption's credit with no label nor slash, right after its last sentence's mark (glued to it
#: or after a space, in brackets or not): one of `PHOTO_AGENCIES` or one of these ("... bei der
#: Genesung unterstützen.Getty Images", "... for about an hour. AP", "... restoration. Supplied",
#: "... Edward Kieswetter. File image"), or an agency in brackets after a photographer's name
#: ("... el 11 de octubre. Florion Goga (REUTERS)"). Compared case-folded.
CAPTION_CLOSING_CREDITS: Final = ("supplied", "file image", "file photo", "handout")
#: The credit closing a caption in Japanese, Chinese and Korean, where no space or label sets it
#: apart: a bracket holding who took or gave the picture ("（潟沼義樹撮影）", "（警視庁提供）"), an
#: agency after "＝" ("＝ＡＰ"), Korean "[사진 출처 = 연합뉴스]", or an agency or a reporter
#: ("고영권 기자") after a sentence's end. Compared case-folded.
CAPTION_CREDIT_BRACKET_WORDS: Final = ("撮影", "提供", "摄", "攝")
CAPTION_CREDIT_AGENCIES: Final = (
    "ＡＰ", "ＡＦＰ", "ＥＰＡ", "ロイター", "共同", "時事", "新华社", "新華社", "中新社", "연합뉴스", "뉴시스", "뉴스1",
)
CAPTION_CREDIT_KOREAN_LABEL: Final = "사진"
CAPTION_CREDIT_KOREAN_REPORTER: Final = "기자"

#: Meta tags whose content credits the article's author (names compared lower-case).
#: `article:author` is often a profile URL: URLs are dropped from every credit.
AUTHOR_META_NAMES: Final = ("author", "article:author", "og:article:author", "byl",
                            "dc.creator", "dcterms.creator", "sailthru.author",
                            "cxenseparse:author", "articleauthor", "article:byline")
#: Meta tags whose content names the publisher (a credit equal to one is no person).
PUBLISHER_META_NAMES: Final = ("og:site_name", "publisher", "article:publisher",
                               "og:article:publisher", "dc.publisher", "application-name",
                               "twitter:site", "smartbanner:author")

#: Prefixes of a dateline ("Published: 24 Feb, 2016 12:18", "Updated on 3 May 2024").
DATELINE_PUBLISHED_PREFIXES: Final = (
    "published time", "first published", "published on", "published at", "published",
    "posted on", "posted at", "posted", "date", "veröffentlicht am", "veröffentlicht",
    "stand", "publié le", "publié", "publicado el", "publicado", "pubblicato il", "pubblicato",
)
DATELINE_UPDATED_PREFIXES: Final = (
    "last updated", "edited time", "edited", "updated on", "updated at", "updated", "last modified", "modified",
    "aktualisiert am", "aktualisiert", "mis à jour le", "mis à jour", "actualizado el",
    "actualizado", "aggiornato il", "aggiornato",
)

#: Month names and abbreviations (lower case, without a trailing dot) -> month number.
MONTHS: Final = MappingProxyType(
    {
        # English
        "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
        "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
        "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11,
        "nov": 11, "december": 12, "dec": 12,
        # German
        "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "mär": 3, "mai": 5, "juni": 6,
        "juli": 7, "oktober": 10, "okt": 10, "dezember": 12, "dez": 12,
        # French
        "janvier": 1, "janv": 1, "février": 2, "févr": 2, "fevrier": 2, "mars": 3, "avril": 4,
        "avr": 4, "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8, "septembre": 9,
        "octobre": 10, "novembre": 11, "décembre": 12, "decembre": 12, "déc": 12,
        # Spanish
        "enero": 1, "ene": 1, "febrero": 2, "marzo": 3, "abril": 4, "abr": 4, "mayo": 5,
        "junio": 6, "julio": 7, "agosto": 8, "ago": 8, "septiembre": 9, "setiembre": 9,
        "octubre": 10, "noviembre": 11, "diciembre": 12, "dic": 12,
    }
)

#: Weekday names that may open a dateline ("Wednesday, 24 February 2016").
WEEKDAYS: Final = frozenset(
    {
        "monday", "mon", "tuesday", "tue", "tues", "wednesday", "wed", "thursday", "thu",
        "thurs", "friday", "fri", "saturday", "sat", "sunday", "sun",
        "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag",
        "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
        "lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo",
    }
)

#: Zone abbreviations that datelines print, with their UTC offset in minutes. Only the
#: unambiguous ones: "IST" or "CST" mean different zones on different sites, so they are absent
#: and such a time falls back to `StageOptions.assume_timezone`.
ZONE_ABBREVIATIONS: Final = MappingProxyType(
    {
        "utc": 0, "gmt": 0, "z": 0, "bst": 60, "cet": 60, "cest": 120, "mez": 60, "mesz": 120,
        "eet": 120, "eest": 180, "msk": 180, "est": -300, "edt": -240, "pst": -480,
        "pdt": -420, "mdt": -360, "aest": 600, "aedt": 660, "jst": 540, "kst": 540,
    }
)

#: The zone of a site's country, by its country-code top-level domain: a time a page prints
#: without a zone is read in it. Only countries with one zone (or one that nearly everyone
#: lives in); a site of another country, or under a generic domain, falls back to
#: `StageOptions.assume_timezone`.
COUNTRY_ZONES: Final = MappingProxyType(
    {
        "de": "Europe/Berlin", "at": "Europe/Vienna", "ch": "Europe/Zurich", "li": "Europe/Vaduz",
        "lu": "Europe/Luxembourg", "fr": "Europe/Paris", "be": "Europe/Brussels", "nl": "Europe/Amsterdam",
        "it": "Europe/Rome", "es": "Europe/Madrid", "pl": "Europe/Warsaw", "cz": "Europe/Prague",
        "sk": "Europe/Bratislava", "hu": "Europe/Budapest", "dk": "Europe/Copenhagen", "no": "Europe/Oslo",
        "se": "Europe/Stockholm", "fi": "Europe/Helsinki", "is": "Atlantic/Reykjavik", "ie": "Europe/Dublin",
        "uk": "Europe/London", "gr": "Europe/Athens", "ro": "Europe/Bucharest", "bg": "Europe/Sofia",
        "hr": "Europe/Zagreb", "si": "Europe/Ljubljana", "rs": "Europe/Belgrade", "lt": "Europe/Vilnius",
        "lv": "Europe/Riga", "ee": "Europe/Tallinn", "ua": "Europe/Kyiv", "tr": "Europe/Istanbul",
        "il": "Asia/Jerusalem", "lb": "Asia/Beirut", "jp": "Asia/Tokyo", "kr": "Asia/Seoul",
        "cn": "Asia/Shanghai", "tw": "Asia/Taipei", "hk": "Asia/Hong_Kong", "sg": "Asia/Singapore",
        "in": "Asia/Kolkata", "vn": "Asia/Ho_Chi_Minh", "th": "Asia/Bangkok", "my": "Asia/Kuala_Lumpur",
        "ph": "Asia/Manila", "pk": "Asia/Karachi", "za": "Africa/Johannesburg", "na": "Africa/Windhoek",
        "ls": "Africa/Maseru", "tz": "Africa/Dar_es_Salaam", "ke": "Africa/Nairobi", "ng": "Africa/Lagos",
        "eg": "Africa/Cairo", "py": "America/Asuncion", "ar": "America/Argentina/Buenos_Aires",
        "cl": "America/Santiago", "co": "America/Bogota", "pe": "America/Lima", "nz": "Pacific/Auckland",
    }
)

#: The zone of a language's readers, for a site whose domain names no country
#: (`COUNTRY_ZONES`): a German page on a ".com" or ".net" domain prints German time. Only
#: languages whose countries keep one offset (German: Germany, Austria, Switzerland; Chinese:
#: China, Taiwan, Hong Kong, Singapore); English, Spanish, French, Portuguese, Arabic and
#: Russian are read across many zones and fall back to `StageOptions.assume_timezone`.
LANGUAGE_ZONES: Final = MappingProxyType(
    {
        "de": "Europe/Berlin", "nl": "Europe/Amsterdam", "it": "Europe/Rome", "pl": "Europe/Warsaw",
        "cs": "Europe/Prague", "sk": "Europe/Bratislava", "hu": "Europe/Budapest", "da": "Europe/Copenhagen",
        "sv": "Europe/Stockholm", "no": "Europe/Oslo", "nb": "Europe/Oslo", "nn": "Europe/Oslo",
        "fi": "Europe/Helsinki", "is": "Atlantic/Reykjavik", "el": "Europe/Athens", "ro": "Europe/Bucharest",
        "bg": "Europe/Sofia", "hr": "Europe/Zagreb", "sl": "Europe/Ljubljana", "sr": "Europe/Belgrade",
        "lt": "Europe/Vilnius", "lv": "Europe/Riga", "et": "Europe/Tallinn", "uk": "Europe/Kyiv",
        "tr": "Europe/Istanbul", "he": "Asia/Jerusalem", "ja": "Asia/Tokyo", "ko": "Asia/Seoul",
        "zh": "Asia/Shanghai", "th": "Asia/Bangkok", "vi": "Asia/Ho_Chi_Minh", "hi": "Asia/Kolkata",
    }
)

# --- extraction: entities ---------------------------------------------------------------------

#: Last words of a company's or a product's name: a "person" the model names so ("Chunghwa
#: Telecom", "Uber Eats", "Acme Holdings") is an organisation (compared case-folded).
ORGANISATION_HEADS: Final = frozenset(
    """
    inc inc. corp corp. corporation co co. company companies ltd ltd. llc plc gmbh ag sa nv bv kg
    se spa srl ab asa oyj group holdings holding telecom telecommunications telecoms mobile
    airlines airways air motors automotive bank bancorp financial capital securities insurance
    partners ventures technologies technology tech systems networks software labs electronics
    pharma pharmaceuticals biotech therapeutics energy power petroleum oil gas mining steel foods
    beverages brewery media entertainment studios pictures records publishing press news times
    post herald tribune gazette broadcasting tv radio network eats express logistics shipping
    railways rail transport motors retail stores supermarkets hotels resorts airport university
    college institute foundation fund trust association federation council committee commission
    agency ministry department party union league club fc authority administration service
    police court office hospital clinic school academy museum church cathedral kitchens united ai
    live magazine journal nyheter zeitung
    """.split()
)
#: First words of a paper's name ("Daily Maverick", "Weekly Standard"): such a "person" is an
#: organisation (compared case-folded).
ORGANISATION_OPENERS: Final = frozenset({"daily", "weekly"})
#: One-word names of companies, platforms and products that the model takes for a person (or a
#: place): "Petronas", "Strava", "OpenAI", "Twitter". None is a person's given name or surname
#: ("Ford", "Dell", "Bloomberg", "Tata" are not here); compared case-folded.
ORGANISATION_NAMES: Final = frozenset(
    """
    airbnb airbus alibaba alphabet amazon anthropic apple aramco astrazeneca baidu binance
    bitcoin bytedance chatgpt chevron coinbase deepmind deliveroo discord doordash duolingo easyjet
    ebay equinor ethereum etihad exxon exxonmobil facebook flydubai foodpanda gazprom glencore
    google grindr huawei hulu hyundai ikea infosys instagram intel jetstar linkedin lufthansa lukoil
    lyft maybank microsoft moderna mounjaro netflix nintendo nokia novartis nvidia ofcom ofgem
    ofsted openai ozempic paypal petrobras petronas pfizer pinterest politico qantas qualcomm
    reddit rosneft ryanair salesforce samsung sanofi shein shopee shopify sinopec snapchat spotify
    starbucks strava temu tencent tiktok tinder toyota twitch twitter uber unilever verizon
    vodafone volkswagen walmart wechat wegovy weibo whatsapp wikipedia xiaomi youtube zepbound
    """.split()
)
#: Last words of a company's legal name ("Petronas Bhd", "Strava Inc"): a one-word "person" the
#: article also names so is that company (compared case-folded, without a final dot).
LEGAL_FORMS: Final = frozenset(
    """
    inc corp corporation co ltd limited llc plc gmbh ag sa nv bv spa srl ab asa oyj bhd berhad pty
    kk
    """.split()
)

#: Words of a geographic feature's name: an "organisation" the model names so ("Yangtze River",
#: "Lake Constance", "Mount Fuji") is a place, unless its last word names an organisation
#: ("Mekong River Commission"); compared case-folded.
PLACE_FEATURES: Final = frozenset(
    """
    river rivers lake lakes sea ocean bay gulf strait straits channel canal island islands isle
    peninsula mountain mountains mount mt range valley canyon gorge desert coast creek falls
    glacier delta basin plateau forest reef cape lagoon fjord volcano
    """.split()
)

# --- extraction: quotes ----------------------------------------------------------------------

#: Words before a name that tell whether "he" or "she" may mean that person ("Mrs Thatcher",
#: "spokeswoman Jane Doe", "her brother John Smith"); compared case-folded, without a final dot.
MALE_TITLES: Final = frozenset(
    """
    mr sir lord king prince duke earl baron father brother husband widower grandson uncle
    nephew boyfriend spokesman chairman congressman businessman councilman actor
    """.split()
)
FEMALE_TITLES: Final = frozenset(
    """
    mrs ms miss madam dame lady queen princess duchess countess baroness mother sister daughter
    wife widow granddaughter aunt niece girlfriend spokeswoman chairwoman congresswoman
    businesswoman councilwoman actress
    """.split()
)
#: The titles above that a dot may follow ("Mrs. Harris"): after any other word a dot ends a
#: sentence ("... written for an actress. Robin Hale directed it") and titles no one.
ABBREVIATED_TITLES: Final = frozenset({"mr", "mrs", "ms"})
#: The titles above that are words too in lower case ("fans will miss Robin Hale"): they title a
#: name only when capitalised.
CAPITALISED_TITLES: Final = frozenset({"miss"})
#: Given names that name a man, or a woman, in nearly every country whose news copydesk reads in
#: English (names given to both, "Chris", "Jean", "Andrea", "Kim", are in neither); compared
#: case-folded.
MALE_GIVEN_NAMES: Final = frozenset(
    """
    aaron abdul abraham adam adrian ahmed alan albert alexander alexei alfred andrew andrii
    andy anthony antonio anwar arnold arthur barack ben benjamin bernard bill billy bob bobby boris
    brad bradley brandon brendan brett brian bruce bryan carl carlos charles charlie chuck clarence
    colin craig cyril dan daniel darren dave david dennis derek dmitry dmytro don donald doug
    douglas duncan dylan ed eddie edward emmanuel enrique eric erik ethan evan felix fernando frank
    franklin fred frederick friedrich gary gavin geoffrey george gerald glenn gordon graham greg
    gregory gustavo harold harry hassan henry hugo ian igor isaac ivan jack jacob jair jake james
    jason javier jay jeff jeffrey jeremy jerome jesus jim jimmy joe joel john johnny jon jonathan
    jorge jose joseph josh joshua juan justin karl keir keith ken kenneth kevin khalid kyle larry
    lawrence leonard liam louis luis luiz luke malcolm marco marcus mario mark martin matt matthew
    max michael miguel mike mohamed mohammed mohammad muhammad narendra nathan neil nicholas nick
    nicolas nigel oleg oliver omar oscar owen patrick paul pedro peter phil philip pierre rafael
    ralph ray raymond richard rick rishi robert roger ron ronald roy russell ryan samuel scott sean
    sergei sergey shaun simon stephen steve steven stuart ted terrence thomas tim timothy todd tom
    tony travis tyler vladimir victor viktor vincent volodymyr walter wayne william xavier yevhen
    yuri
    """.split()
)
FEMALE_GIVEN_NAMES: Final = frozenset(
    """
    abby abigail ada agnes aisha alice alicia alison amanda amber amelia amina amy ana angela
    angelina anita ann anna anne annie annette audrey barbara beatrice becky belinda beth
    betty beverly bridget brittany carla carmen caroline catherine cecilia charlotte chloe
    christina christine claire clara clare claudia colleen cynthia daisy deborah debra delcy diana
    diane donna doris dorothy eleanor elena elizabeth ella ellen emily emma erin eva evelyn fatima
    fiona florence frances gabriela gemma georgia gloria grace hannah harriet heather helen holly
    ingrid irene isabel isabella jacqueline jane janet janice jennifer jessica jill joan joanna
    josephine joyce judith judy julia julie karen kate katherine kathleen kathryn katie kamala
    kaja laura lauren linda lisa liz lois lorraine louise lucy margaret maria marie marina
    martha mary megan meghan melanie melissa michelle mila miriam molly monica nadia nancy
    naomi natalia natalie nicole nina olga olivia pamela patricia paula pauline penny priya rachel
    rebecca rita rose ruth sabrina sally samantha sandra sara sarah sharon sheila shirley silvia
    sofia sophia sophie stephanie susan suzanne svitlana tamara teresa theresa tina tracey
    ursula valerie vanessa victoria virginia wanda wendy yulia yvonne zoe
    """.split()
)

# --- extraction: URLs --------------------------------------------------------------------------

#: Query parameters that only track a visit; dropped from canonical URLs (compared lower-case).
#: courlan drops many of these too; the list is kept here so that the contract does not depend
#: on a library's private regular expression.
TRACKING_PARAMS: Final = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "msclkid", "yclid", "twclid", "igshid", "igsh",
        "mc_cid", "mc_eid", "ref", "ref_src", "ref_url", "referrer", "cmpid", "cmp", "ocid",
        "icid", "ncid", "ito", "s_cid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "spm",
        "sharetype", "smid", "smtyp", "soc_src", "soc_trk", "xtor", "wt_mc", "wt.mc_id",
        "sr_share", "guccounter", "guce_referrer", "guce_referrer_sig", "__twitter_impression",
    }
)
#: Prefixes of tracking parameter names (utm_source, utm_medium, pk_campaign, ...).
TRACKING_PARAM_PREFIXES: Final = ("utm_", "pk_", "mtm_", "hsa_", "oly_", "vero_", "at_", "mc_",
                                  "ga_", "_hs", "ns_", "trk_", "itm_")

# --- extraction: titles ------------------------------------------------------------------------

#: Separators between a headline and a site name, as the <title> of many pages reads.
TITLE_SEPARATORS: Final = (" | ", " || ", " - ", " – ", " — ", " :: ", " » ", " « ", " · ",
                           " • ", " / ", "：", "｜", " ｜ ")
#: How many trailing segments (dates, sections, names) may stand after the site's name.
TITLE_MAX_SUFFIXES: Final = 3
#: Separators that follow a site name at the start of a title ("RT: Headline").
TITLE_PREFIX_SEPARATORS: Final = (": ", " | ", " - ", " – ", " — ", " :: ", " » ")
#: At most this many words in a segment that is taken for a site name.
SITE_NAME_MAX_WORDS: Final = 6
#: A page's other headline shorter than this is not trusted to show what a title adds.
TITLE_MIN_CHARS: Final = 12

# --- extraction: languages and stopwords -------------------------------------------------------

#: ISO 639-1 code -> jusText stoplist name.
JUSTEXT_LANGUAGES: Final = MappingProxyType(
    {
        "af": "Afrikaans", "sq": "Albanian", "ar": "Arabic", "an": "Aragonese",
        "hy": "Armenian", "ast": "Asturian", "az": "Azerbaijani", "eu": "Basque",
        "be": "Belarusian", "bn": "Bengali", "bs": "Bosnian", "br": "Breton",
        "bg": "Bulgarian", "ca": "Catalan", "ceb": "Cebuano", "cv": "Chuvash",
        "hr": "Croatian", "cs": "Czech", "da": "Danish", "nl": "Dutch", "en": "English",
        "eo": "Esperanto", "et": "Estonian", "fi": "Finnish", "fr": "French", "gl": "Galician",
        "ka": "Georgian", "de": "German", "el": "Greek", "gu": "Gujarati", "ht": "Haitian",
        "he": "Hebrew", "hi": "Hindi", "hu": "Hungarian", "is": "Icelandic", "io": "Ido",
        "ig": "Igbo", "id": "Indonesian", "ga": "Irish", "it": "Italian", "jv": "Javanese",
        "kn": "Kannada", "kk": "Kazakh", "ko": "Korean", "ku": "Kurdish", "ky": "Kyrgyz",
        "la": "Latin", "lv": "Latvian", "lt": "Lithuanian", "lb": "Luxembourgish",
        "mk": "Macedonian", "ms": "Malay", "ml": "Malayalam", "mt": "Maltese", "mr": "Marathi",
        "ne": "Nepali", "nb": "Norwegian_Bokmal", "no": "Norwegian_Bokmal",
        "nn": "Norwegian_Nynorsk", "oc": "Occitan", "fa": "Persian", "pl": "Polish",
        "pt": "Portuguese", "qu": "Quechua", "ro": "Romanian", "ru": "Russian",
        "sr": "Serbian", "sh": "Serbo_Croatian", "sk": "Slovak", "sl": "Slovenian",
        "es": "Spanish", "su": "Sundanese", "sw": "Swahili", "sv": "Swedish", "tl": "Tagalog",
        "ta": "Tamil", "te": "Telugu", "tr": "Turkish", "tk": "Turkmen", "uk": "Ukrainian",
        "ur": "Urdu", "uz": "Uzbek", "vi": "Vietnamese", "vo": "Volapuk", "wa": "Walloon",
        "cy": "Welsh", "fy": "West_Frisian", "yo": "Yoruba",
    }
)

_AVAILABLE_STOPLISTS = frozenset(justext.get_stoplists())

#: ISO 639-1 code -> stopwords (lower case), for every language jusText has a stoplist for.
STOPWORDS: Final = MappingProxyType(
    {
        code: frozenset(justext.get_stoplist(name))
        for code, name in JUSTEXT_LANGUAGES.items()
        if name in _AVAILABLE_STOPLISTS
    }
)

#: Languages whose words the cleaning stage's line features know without a detected language
#: (cleaning runs before language identification). Besides these, the short stopwords (up to
#: `CLEANING_SHORT_STOPWORD_CHARS` characters: particles, prepositions, pronouns) of every list
#: written in a script other than Latin: they cannot be taken for another language's menu, and
#: jusText's lists for those scripts also hold longer content words.
CLEANING_STOPWORD_LANGUAGES: Final = ("en", "de", "fr", "es", "it", "pt", "nl")
CLEANING_SHORT_STOPWORD_CHARS: Final = 3
CLEANING_STOPWORDS: Final = frozenset().union(
    *(STOPWORDS[code] for code in CLEANING_STOPWORD_LANGUAGES),
    *(
        frozenset(
            word for word in words
            if len(word) <= CLEANING_SHORT_STOPWORD_CHARS
            and ord(word[0]) >= 0x370
            and all(c.isalpha() or unicodedata.category(c)[0] == "M" for c in word)  # vowel signs
        )
        for words in STOPWORDS.values()
    ),
)

#: Scripts written without spaces between words, as (character ranges, characters per word):
#: a line's weight there is its length in characters over the script's mean word length, so
#: that a line of Japanese or Thai weighs what the same sentence would in a spaced script.
UNSPACED_SCRIPTS: Final = (
    # Katakana (loanwords, longer: "ニュース" is one word), then Han and hiragana with the commas,
    # colons, brackets and full-width digits written inside their runs
    ("\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f", 3.0),
    ("\u3040-\u309f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
     "\u3001\u3002\u300c-\u300f\uff08\uff09\uff0c\uff1a\uff10-\uff19", 1.7),
    ("\u0e00-\u0e7f\u0e80-\u0eff", 5.0),  # Thai, Lao
    ("\u1780-\u17ff", 5.0),  # Khmer
    ("\u1000-\u109f", 5.0),  # Myanmar
    ("\u0f00-\u0fff", 4.0),  # Tibetan
)

#: Marks that end a sentence in scripts beyond the Latin one's ".!?": the ideographic full stop
#: and full-width marks, the Devanagari danda, the Arabic and Urdu question mark and full stop,
#: the Armenian and Ethiopic full stops, the Burmese and Khmer section marks.
SENTENCE_END_MARKS: Final = "。！？．｡।॥؟۔։።၊။។"
#: Closing quotes and brackets that may follow a sentence's last mark ("«" closes a quote in
#: Danish, Swedish and much of the German press: »...«; "“" and "‘" close German quotes:
#: „...“, ‚...‘).
SENTENCE_CLOSERS: Final = "\"'”’»«“‘)]」』）〕】"
#: How the items of a bulleted list open in page text: a story's own list (its items often end
#: on no stop), not a list of other stories' headlines.
LIST_ITEM_MARKERS: Final = ("- ", "– ", "• ", "* ", "· ", "▪ ")

#: Function words that a keyword never starts or ends with even when a stoplist omits them;
#: jusText's lists are frequency lists and keep some content words ("state", "army"), so the
#: keyword stage does not drop a capitalised phrase only because one of its words is listed.
KEYWORD_EXTRA_STOPWORDS: Final = frozenset(
    {"said", "says", "told", "also", "would", "could", "one", "two", "new", "year", "years",
     "mr", "mrs", "ms", "dr", "per", "cent", "percent", "sagte", "sagt", "dit", "dijo"}
)

#: CLD2's codes that ISO 639-1 has since replaced: Hebrew, Javanese.
CLD2_LEGACY_CODES: Final = MappingProxyType({"iw": "he", "jw": "jv"})

#: Languages written without spaces between words: their word count is a character count and
#: the keyword stage does not try to segment them.
UNSEGMENTED_LANGUAGES: Final = frozenset({"zh", "ja", "th", "lo", "km", "my"})
