"""Dutch people, places and register wording that the demo document draws from."""

from __future__ import annotations

BIG_CITIES = ("Amsterdam", "Rotterdam", "Den Haag", "Utrecht", "Eindhoven", "Groningen", "Tilburg", "Almere")
CITIES = BIG_CITIES + tuple(
    "Breda, Nijmegen, Apeldoorn, Haarlem, Arnhem, Enschede, Amersfoort, Zaanstad, 's-Hertogenbosch, Zwolle, Leiden, "
    "Zoetermeer, Leeuwarden, Maastricht, Dordrecht, Ede, Alphen aan den Rijn, Alkmaar, Emmen, Delft, Venlo, Deventer, "
    "Sittard, Helmond, Oss, Amstelveen, Hilversum, Heerlen, Zeist, Gouda, Hoorn, Purmerend, Roosendaal, Assen, Middelburg, "
    "Lelystad, Den Helder, Drachten, Sneek, Kampen, Roermond, Bergen op Zoom, Doetinchem, Veenendaal, Goes, Heerenveen, "
    "Nieuwegein, Tiel".split(", "))
CITY_POOL = CITIES + BIG_CITIES * 3  # bigger cities have more coaches and practices
COMMON_NAMES = ("de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, Meijer, de Boer, "
                "Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen")
REGULAR_NAMES = (
    "Dekker, Brouwer, de Wit, Dijkstra, Smits, de Graaf, van der Meer, van der Linden, Kok, Jacobs, de Haan, Vermeulen, "
    "van den Heuvel, van der Veen, van den Broek, de Bruijn, van der Heijden, Schouten, van Beek, Willems, van Vliet, "
    "van de Ven, Hoekstra, Maas, Verhoeven, Koster, van Dam, van der Wal, Prins, Blom, Huisman, Peeters, de Lange, Kuipers, "
    "van Wijk, Postma, Kuiper, Veenstra, Kramer, Scholten, van den Brink, Martens, Vink, ter Horst, ter Haar, in 't Veld, "
    "in 't Hout, van Loon, Post, Koning, Wouters, Timmermans, Groen, Bosman, Evers, Hermans, Gerritsen, Molenaar, Hoogland")
ACCENTED_NAMES = "Şahin, Öztürk, Çelik, Yılmaz, Doğan, Dekker-Müller"


def _prefixed_names(names: str) -> tuple[tuple[str, str], ...]:
    """("van der", "Meer") from "van der Meer": the prefix is every word before the last."""
    return tuple((prefix, last) for prefix, _, last in (name.rpartition(" ") for name in names.split(", ")))


NAME_POOL = _prefixed_names(COMMON_NAMES) * 4 + _prefixed_names(REGULAR_NAMES) + _prefixed_names(ACCENTED_NAMES)
INITIAL_LETTERS = "JJJAAAMMMHHPPWWCCEEKKLLRRSSTTGNDBFIY"
CENTRE_NAMES = ("De Linde", "De Eik", "De Esch", "Het Anker", "De Bron", "De Wilgen", "Het Baken", "De Vaart",
                "De Kroon", "Het Palet", "De Hoven", "De Meander", "Het Kompas", "De Vijverhof", "De Sterrenwacht")
PROVIDER_PATTERNS = ("Stoppen met Roken Praktijk {city}", "Rookvrij Coaching {city}", "Gezondheidscentrum {centre}",
                     "Huisartsenpraktijk {centre}", "Leefstijlpraktijk {city}", "Stopcoach {city}",
                     "Praktijk Vrij van Roken {city}", "Apotheek {centre}", "Longpunt {city}")
INSTITUTE_PATTERNS = ("{founder}-instituut", "Academie voor Stopbegeleiding {city}", "Opleidingsinstituut Rookvrij {city}",
                      "Kenniscentrum Tabaksverslaving {city}", "Scholingscentrum Leefstijl en Verslaving {city}")
FOUNDERS = ("Hoogland", "Van Rijswijk", "Brinkman", "Terpstra", "Van Oordt", "Kleinjan", "Wesseling")
DISTRICTS = ("Noord", "Oost", "Zuid", "West", "Centrum")
FIXED_INSTITUTES = (("Hoogland-instituut", "Utrecht"), ("Academie voor Stopbegeleiding", "Amersfoort"),
                    ("Kenniscentrum Tabaksverslaving Noord", "Groningen"))
FIXED_PROVIDERS = (("Stoppen met Roken Praktijk Zeist", "Zeist"), ("Rookvrij Coaching Groningen", "Groningen"),
                   ("Gezondheidscentrum De Linde", "Leeuwarden"), ("Huisartsenpraktijk Het Anker", "'s-Hertogenbosch"),
                   ("Leefstijlpraktijk Maastricht", "Maastricht"))
TRAINING_KINDS = (  # (name, guidance types, formats); the broad registration course is listed twice: most common
    ("Registeropleiding stoppen-met-rokencoach", ("short", "intensive"), ("individual", "group")),
    ("Begeleiden bij stoppen met roken volgens de zorgstandaard", ("short", "intensive"), ("individual", "group")),
    ("Registeropleiding stoppen-met-rokencoach", ("short", "intensive"), ("individual", "group")),
    ("Kortdurende stopbegeleiding voor POH en verpleegkundigen", ("short",), ("individual", "group")),
    ("Intensieve gedragsmatige stopbegeleiding", ("intensive",), ("individual",)),
    ("Groepstraining stoppen met roken", ("short", "intensive"), ("group",)),
)
PROGRAMME_NAMES = {
    ("short", "individual"): ("Kortdurende stopbegeleiding", "Stopadvies Plus", "Rookvrij in vier gesprekken"),
    ("short", "group"): ("Samen Rookvrij Kort", "Stoppen in de groep"),
    ("intensive", "individual"): ("Intensief Stoppen met Roken", "Stopkompas", "Vrij van Roken: persoonlijk traject"),
    ("intensive", "group"): ("Samen Stoppen", "Rookvrije Groep", "Stoppen met Roken in acht weken"),
}
MINUTES_PER_SESSION = {("short", "individual"): (15, 20, 30), ("short", "group"): (45, 60, 75),
                       ("intensive", "individual"): (30, 40, 45, 60), ("intensive", "group"): (60, 75, 90)}
MODES = {"individual": (("on_site",), ("on_site", "phone"), ("on_site", "phone", "video"), ("on_site", "video"),
                        ("phone", "video"), ("phone",)),
         "group": (("on_site",), ("on_site",), ("on_site", "video"), ("video",))}
REASONS = {
    ("training", "grant"): ("Opleiding beoordeeld en geaccrediteerd door de accreditatiecommissie.",),
    ("programme", "grant"): ("Programma beoordeeld en geaccrediteerd conform de Zorgstandaard Tabaksverslaving 2025.",
                             "Herbeoordeling positief; accreditatie verlengd."),
    ("coach", "grant"): ("Geregistreerd als stoppen-met-rokencoach na afronding van een geaccrediteerde opleiding.",
                         "Herregistratie na aangetoonde nascholing."),
    "old register": ("Overgenomen uit het register van het Partnership Stoppen met Roken.",),
    "suspend": ("Geschorst in afwachting van onderzoek naar een klacht.", "Geschorst: verplichte nascholing niet tijdig "
                "aangetoond.", "Geschorst: jaarlijkse kwaliteitsrapportage ontbreekt."),
    "lift": ("Schorsing opgeheven: de gevraagde stukken zijn ontvangen.",
             "Schorsing opgeheven na afronding van het onderzoek."),
    "revoke": ("Accreditatie ingetrokken na herhaalde tekortkomingen.",
               "Ingetrokken op eigen verzoek wegens beëindiging van de activiteiten."),
    "retract": ("Besluit ten onrechte vastgelegd (verkeerd dossier); vervalt als vergissing.",),
}
OVERRIDE_REASON = ("Overgangsjaar 2026: de aanbieder heeft een herzien programma-ontwerp ingediend dat vanaf 1 januari "
                   "2027 aan de zorgstandaard voldoet; accreditatie tot en met 31 december 2026.")
