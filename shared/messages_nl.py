"""Dutch for every English message a problem+json answer can carry (shared/language.py).

Keyed by the English text; where the English is made with values (an f-string, or
marshmallow's "{min}"), the key has ``{}`` in their place and the Dutch names them ``{0}``,
``{1}``… in the order they appear in the English, so Dutch word order may differ. Values
themselves (ids, names, states, PyJWT's reasons) stay as they are.
tests/unit/test_message_catalogue.py fails when a message made in the code has no entry here.
"""

from __future__ import annotations

DUTCH: dict[str, str] = {
    # -- titles: ours, and werkzeug's names of the HTTP errors --------------------------------
    "Unprocessable Content": "Onverwerkbare inhoud",
    "Unauthorized": "Niet aangemeld",
    "Forbidden": "Geen toegang",
    "Conflict": "Conflict",
    "Bad Request": "Ongeldig verzoek",
    "Not Found": "Niet gevonden",
    "Gone": "Verdwenen",
    "Method Not Allowed": "Methode niet toegestaan",
    "Not Acceptable": "Niet aanvaardbaar",
    "Request Timeout": "Time-out van het verzoek",
    "Length Required": "Lengte vereist",
    "Precondition Failed": "Voorwaarde niet vervuld",
    "Request Entity Too Large": "Verzoek te groot",
    "Request URI Too Long": "URI van het verzoek te lang",
    "Unsupported Media Type": "Mediatype niet ondersteund",
    "Requested Range Not Satisfiable": "Gevraagd bereik niet leverbaar",
    "Expectation Failed": "Verwachting niet vervuld",
    "I'm a teapot": "Ik ben een theepot",
    "Misdirected Request": "Verkeerd gericht verzoek",
    "Unprocessable Entity": "Onverwerkbare inhoud",
    "Locked": "Vergrendeld",
    "Failed Dependency": "Afhankelijkheid mislukt",
    "Precondition Required": "Voorwaarde vereist",
    "Too Many Requests": "Te veel verzoeken",
    "Request Header Fields Too Large": "Kopregels van het verzoek te groot",
    "Unavailable For Legal Reasons": "Niet beschikbaar om juridische redenen",
    "Internal Server Error": "Interne serverfout",
    "Not Implemented": "Niet geïmplementeerd",
    "Bad Gateway": "Ongeldige gateway",
    "Service Unavailable": "Dienst niet beschikbaar",
    "Gateway Timeout": "Time-out van de gateway",
    "HTTP Version Not Supported": "HTTP-versie niet ondersteund",
    # -- werkzeug's descriptions (the detail of e.g. a 404 or 405) ------------------------------
    "The browser (or proxy) sent a request that this server could not understand.": (
        "De browser (of proxy) stuurde een verzoek dat deze server niet begrijpt."
    ),
    "The server could not verify that you are authorized to access the URL requested. You "
    "either supplied the wrong credentials (e.g. a bad password), or your browser doesn't "
    "understand how to supply the credentials required.": (
        "De server kon niet vaststellen dat u deze URL mag opvragen. U gaf verkeerde "
        "aanmeldgegevens (bijvoorbeeld een onjuist wachtwoord), of uw browser weet niet hoe hij "
        "de vereiste aanmeldgegevens moet meesturen."
    ),
    "You don't have the permission to access the requested resource. It is either "
    "read-protected or not readable by the server.": (
        "U hebt geen toestemming om deze bron op te vragen. Ze is tegen lezen beschermd of "
        "niet leesbaar voor de server."
    ),
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again.": (
        "De gevraagde URL bestaat niet op deze server. Hebt u de URL zelf ingetypt, controleer "
        "dan de spelling en probeer het opnieuw."
    ),
    "The method is not allowed for the requested URL.": (
        "Deze methode is niet toegestaan voor de gevraagde URL."
    ),
    "The resource identified by the request is only capable of generating response entities "
    "which have content characteristics not acceptable according to the accept headers sent "
    "in the request.": (
        "De gevraagde bron kan alleen antwoorden geven in een vorm die volgens de "
        "Accept-kopregels van het verzoek niet aanvaardbaar is."
    ),
    "The server closed the network connection because the browser didn't finish the request "
    "within the specified time.": (
        "De server sloot de verbinding omdat de browser het verzoek niet binnen de gestelde tijd "
        "afrondde."
    ),
    "A conflict happened while processing the request. The resource might have been modified "
    "while the request was being processed.": (
        "Bij het verwerken van het verzoek trad een conflict op. De bron is mogelijk intussen "
        "gewijzigd."
    ),
    "The requested URL is no longer available on this server and there is no forwarding "
    "address. If you followed a link from a foreign page, please contact the author of this "
    "page.": (
        "De gevraagde URL is niet meer beschikbaar op deze server en er is geen nieuw adres. "
        "Volgde u een link op een andere pagina, neem dan contact op met de maker daarvan."
    ),
    "A request with this method requires a valid <code>Content-Length</code> header.": (
        "Een verzoek met deze methode vereist een geldige <code>Content-Length</code>-kopregel."
    ),
    "The precondition on the request for the URL failed positive evaluation.": (
        "Aan de voorwaarde van het verzoek voor deze URL is niet voldaan."
    ),
    "The data value transmitted exceeds the capacity limit.": (
        "De verzonden gegevens zijn groter dan de toegestane omvang."
    ),
    "The length of the requested URL exceeds the capacity limit for this server. The request "
    "cannot be processed.": (
        "De gevraagde URL is te lang voor deze server. Het verzoek kan niet worden verwerkt."
    ),
    "The server does not support the media type transmitted in the request.": (
        "De server ondersteunt het mediatype van het verzoek niet."
    ),
    "The server cannot provide the requested range.": (
        "De server kan het gevraagde bereik niet leveren."
    ),
    "The server could not meet the requirements of the Expect header": (
        "De server kon niet voldoen aan de eisen van de Expect-kopregel"
    ),
    "This server is a teapot, not a coffee machine": (
        "Deze server is een theepot, geen koffiezetapparaat"
    ),
    "The request was well-formed but was unable to be followed due to semantic errors.": (
        "Het verzoek was goed gevormd maar kon door inhoudelijke fouten niet worden uitgevoerd."
    ),
    "The resource that is being accessed is locked.": "De opgevraagde bron is vergrendeld.",
    "The method could not be performed on the resource because the requested action depended "
    "on another action and that action failed.": (
        "De methode kon niet op de bron worden uitgevoerd, omdat de gevraagde actie afhing van "
        "een andere actie en die mislukte."
    ),
    'This request is required to be conditional; try using "If-Match" or "If-Unmodified-Since".': (
        'Dit verzoek moet voorwaardelijk zijn; gebruik "If-Match" of "If-Unmodified-Since".'
    ),
    "This user has exceeded an allotted request count. Try again later.": (
        "Deze gebruiker heeft het toegestane aantal verzoeken overschreden. Probeer het later "
        "opnieuw."
    ),
    "One or more header fields exceeds the maximum size.": (
        "Een of meer kopregels zijn groter dan toegestaan."
    ),
    "Unavailable for legal reasons.": "Niet beschikbaar om juridische redenen.",
    "The server encountered an internal error and was unable to complete your request. Either "
    "the server is overloaded or there is an error in the application.": (
        "De server kreeg een interne fout en kon uw verzoek niet afronden. De server is "
        "overbelast of er zit een fout in de toepassing."
    ),
    "The server does not support the action requested by the browser.": (
        "De server ondersteunt de door de browser gevraagde actie niet."
    ),
    "The proxy server received an invalid response from an upstream server.": (
        "De proxyserver kreeg een ongeldig antwoord van een achterliggende server."
    ),
    "The server is temporarily unable to service your request due to maintenance downtime or "
    "capacity problems. Please try again later.": (
        "De server kan uw verzoek tijdelijk niet behandelen door onderhoud of "
        "capaciteitsproblemen. Probeer het later opnieuw."
    ),
    "The connection to an upstream server timed out.": (
        "De verbinding met een achterliggende server kreeg een time-out."
    ),
    "The server does not support the HTTP protocol version used in the request.": (
        "De server ondersteunt de HTTP-versie van het verzoek niet."
    ),
    "The server is not able to produce a response.": "De server kan geen antwoord geven.",
    # -- marshmallow's and webargs' default messages --------------------------------------------
    "Missing data for required field.": "Verplicht veld ontbreekt.",
    "Field may not be null.": "Dit veld mag niet leeg (null) zijn.",
    "Invalid value.": "Ongeldige waarde.",
    "Invalid input.": "Ongeldige invoer.",
    "Invalid type.": "Ongeldig type.",
    "Invalid input type.": "Ongeldig type invoer.",
    "Unknown field.": "Onbekend veld.",
    "Invalid JSON body.": "De inhoud is geen geldige JSON.",
    "Not a valid string.": "Geen geldige tekst.",
    "Not a valid utf-8 string.": "Geen geldige UTF-8-tekst.",
    "Not a valid integer.": "Geen geldig geheel getal.",
    "Not a valid number.": "Geen geldig getal.",
    "Number too large.": "Getal te groot.",
    "Special numeric values (nan or infinity) are not permitted.": (
        "Speciale getalwaarden (nan of oneindig) zijn niet toegestaan."
    ),
    "Not a valid boolean.": "Geen geldige booleaanse waarde.",
    "Not a valid UUID.": "Geen geldige UUID.",
    "Not a valid date.": "Geen geldige datum.",
    "Not a valid period of time.": "Geen geldige tijdsduur.",
    "Not a valid list.": "Geen geldige lijst.",
    "Not a valid tuple.": "Geen geldige tupel.",
    "Not a valid mapping type.": "Geen geldig object (sleutels en waarden).",
    "Not a valid URL.": "Geen geldige URL.",
    "Not a valid email address.": "Geen geldig e-mailadres.",
    "Not a valid IP address.": "Geen geldig IP-adres.",
    "Not a valid IPv4 address.": "Geen geldig IPv4-adres.",
    "Not a valid IPv6 address.": "Geen geldig IPv6-adres.",
    "Not a valid IP interface.": "Geen geldige IP-interface.",
    "Not a valid IPv4 interface.": "Geen geldige IPv4-interface.",
    "Not a valid IPv6 interface.": "Geen geldige IPv6-interface.",
    "Not a valid {}.": "Geen geldige {0}.",
    "Not a valid {} {}.": "Geen geldige {0} {1}.",
    '"{}" cannot be formatted as a {}.': '"{0}" kan niet worden weergegeven als {1}.',
    '"{}" cannot be formatted as a date.': '"{0}" kan niet worden weergegeven als datum.',
    "{} cannot be formatted as a timedelta.": "{0} kan niet worden weergegeven als tijdsduur.",
    "String does not match expected pattern.": "De tekst heeft niet de verwachte vorm.",
    "Must be one of: {}.": "Moet een van deze zijn: {0}.",
    "Must be equal to {}.": "Moet gelijk zijn aan {0}.",
    "One or more of the choices you made was not in: {}.": (
        "Een of meer van uw keuzes komen niet voor in: {0}."
    ),
    "One or more of the choices you made was in: {}.": (
        "Een of meer van uw keuzes komen voor in: {0}."
    ),
    "Shorter than minimum length {}.": "Korter dan de minimale lengte {0}.",
    "Longer than maximum length {}.": "Langer dan de maximale lengte {0}.",
    "Length must be between {} and {}.": "De lengte moet tussen {0} en {1} liggen.",
    "Length must be {}.": "De lengte moet {0} zijn.",
    "Must be greater than or equal to {}.": "Moet groter dan of gelijk aan {0} zijn.",
    "Must be greater than {}.": "Moet groter dan {0} zijn.",
    "Must be less than or equal to {}.": "Moet kleiner dan of gelijk aan {0} zijn.",
    "Must be less than {}.": "Moet kleiner dan {0} zijn.",
    "Must be greater than or equal to {} and less than or equal to {}.": (
        "Moet groter dan of gelijk aan {0} en kleiner dan of gelijk aan {1} zijn."
    ),
    "Must be greater than or equal to {} and less than {}.": (
        "Moet groter dan of gelijk aan {0} en kleiner dan {1} zijn."
    ),
    "Must be greater than {} and less than or equal to {}.": (
        "Moet groter dan {0} en kleiner dan of gelijk aan {1} zijn."
    ),
    "Must be greater than {} and less than {}.": "Moet groter dan {0} en kleiner dan {1} zijn.",
    # -- the web kit, sign-in and idempotency (shared/) -----------------------------------------
    "The request has invalid fields; see 'errors'.": (
        "Het verzoek heeft ongeldige velden; zie 'errors'."
    ),
    "The request body is not valid JSON.": "De inhoud van het verzoek is geen geldige JSON.",
    "The request body is larger than {} bytes.": (
        "De inhoud van het verzoek is groter dan {0} bytes."
    ),
    "Arrays and objects may be nested at most {} levels deep.": (
        "Arrays en objecten mogen hoogstens {0} niveaus diep genest zijn."
    ),
    "An integer may have at most {} digits.": "Een geheel getal mag hoogstens {0} cijfers hebben.",
    "Something went wrong on our side.": "Er ging aan onze kant iets mis.",
    "The database cannot be reached just now; retry in a moment.": (
        "De database is nu niet bereikbaar; probeer het zo opnieuw."
    ),
    "A value cannot be stored; see 'errors'.": (
        "Een waarde kan niet worden opgeslagen; zie 'errors'."
    ),
    "A value is out of range or cannot be stored.": (
        "Een waarde valt buiten het bereik of kan niet worden opgeslagen."
    ),
    "Text cannot contain NUL (\\u0000) characters.": (
        "Tekst mag geen NUL-tekens (\\u0000) bevatten."
    ),
    "Text cannot contain a lone surrogate (\\ud800-\\udfff).": (
        "Tekst mag geen losse surrogaattekens (\\ud800-\\udfff) bevatten."
    ),
    "Send If-Match with the ETag you last read, so you never overwrite a newer change.": (
        "Stuur If-Match mee met de ETag die u het laatst las, zodat u nooit een nieuwere "
        "wijziging overschrijft."
    ),
    "If-Match {} is a weak tag; If-Match compares strongly and a weak tag never matches: send "
    'the ETag as you read it (e.g. "v3").': (
        "If-Match {0} is een zwakke tag; If-Match vergelijkt strikt en een zwakke tag klopt "
        'nooit: stuur de ETag zoals u hem las (bijvoorbeeld "v3").'
    ),
    "If-Match {} is not an ETag this API gave out.": (
        "If-Match {0} is geen ETag die deze API heeft uitgegeven."
    ),
    "Send 'Authorization: Bearer <token>'.": "Stuur 'Authorization: Bearer <token>' mee.",
    "The token has expired.": "Het token is verlopen.",
    "The token is invalid or expired.": "Het token is ongeldig of verlopen.",
    "The token is not valid: the identity provider does not know it (expired, revoked or "
    "never issued).": (
        "Het token is niet geldig: de identiteitsprovider kent het niet (verlopen, ingetrokken "
        "of nooit uitgegeven)."
    ),
    "The token lacks the '{}' and '{}' claims.": ("Het token mist de claims '{0}' en '{1}'."),
    "The identity provider could not be asked who you are.": (
        "De identiteitsprovider kon niet worden gevraagd wie u bent."
    ),
    "The identity provider's userinfo answer names no subject.": (
        "Het userinfo-antwoord van de identiteitsprovider noemt geen gebruiker (sub)."
    ),
    "This needs one of the roles: {}.": "Hiervoor is een van deze rollen nodig: {0}.",
    "Idempotency-Key must be 8-128 characters of letters, digits, '.', '_', ':' or '-'.": (
        "Idempotency-Key moet 8 tot 128 tekens lang zijn: letters, cijfers, '.', '_', ':' of '-'."
    ),
    "Malformed key.": "Ongeldige sleutel.",
    "This Idempotency-Key was already used with a different request.": (
        "Deze Idempotency-Key is al gebruikt voor een ander verzoek."
    ),
    "Reused with a different body.": "Hergebruikt met een andere inhoud.",
    # -- short field messages used by several services ------------------------------------------
    "Required.": "Verplicht.",
    "Empty.": "Leeg.",
    "Past.": "Verleden.",
    "In the past.": "In het verleden.",
    "In the future.": "In de toekomst.",
    "Too long.": "Te lang.",
    "Out of range.": "Buiten het bereik.",
    "After start.": "Na het begin.",
    "No offset.": "Geen tijdzoneverschil.",
    "Equals start.": "Gelijk aan het begin.",
    "Must be after.": "Moet erna liggen.",
    "Must be after start.": "Moet na het begin liggen.",
    "Must be after start_at.": "Moet na start_at liggen.",
    "Must be after from.": "Moet na from liggen.",
    "Must be after valid_from.": "Moet na valid_from liggen.",
    "Must not be before start.": "Mag niet voor het begin liggen.",
    "Must not be before valid_from.": "Mag niet voor valid_from liggen.",
    "Must not be in the past.": "Mag niet in het verleden liggen.",
    "Must be at most {}.": "Mag hoogstens {0} zijn.",
    "Must be at least {} from now.": "Moet minstens {0} vanaf nu liggen.",
    "Must be >= 0.": "Moet >= 0 zijn.",
    "Must be >= 1.": "Moet >= 1 zijn.",
    "Must be <= full_cost_rate.": "Moet <= full_cost_rate zijn.",
    "Must be 1 for slot assets.": "Moet 1 zijn voor middelen die per slot worden geboekt.",
    "Must be between 0 and 100.": "Moet tussen 0 en 100 liggen.",
    "Must start with {} for kind {}.": "Moet voor soort {1} beginnen met {0}.",
    "At most {}.": "Hoogstens {0}.",
    "At most 2 decimals.": "Hoogstens 2 decimalen.",
    "Between {} and {}.": "Tussen {0} en {1}.",
    "Between 0.00 and {}.": "Tussen 0.00 en {0}.",
    "Already used.": "Al gebruikt.",
    "Already exists.": "Bestaat al.",
    "Invalid cursor.": "Ongeldige cursor.",
    "Bad price.": "Ongeldige prijs.",
    "Start at 1.": "Begin bij 1.",
    "Thresholds rise.": "Drempels moeten oplopen.",
    "Or until.": "Of until.",
    "Or requester_amount.": "Of requester_amount.",
    "Range too long.": "Bereik te lang.",
    # -- catalog ---------------------------------------------------------------------------------
    "Asset {} does not exist.": "Middel {0} bestaat niet.",
    "Only an owner (defensie-beheerder) of {} may change it.": (
        "Alleen een beheerder (defensie-beheerder) van {0} mag het wijzigen."
    ),
    "{} is {}: a retired asset cannot be changed.": (
        "{0} is {1}: een buiten gebruik gesteld middel kan niet worden gewijzigd."
    ),
    "The asset is {}.": "Het middel is {0}.",
    "Unknown safety region code(s).": "Onbekende code(s) van veiligheidsregio's.",
    "Unknown region: {}": "Onbekende regio: {0}",
    "Only a Defence asset owner (defensie-beheerder) registers assets.": (
        "Alleen een beheerder van Defensie (defensie-beheerder) registreert middelen."
    ),
    "Your organisation {} is not known to the catalog.": (
        "Uw organisatie {0} is niet bekend in de catalogus."
    ),
    "Registration {} is already asset {}.": "Registratie {0} is al middel {1}.",
    "Registration {} is already registered.": "Registratie {0} is al geregistreerd.",
    "Already registered by your organisation.": "Al geregistreerd door uw organisatie.",
    "The asset changed since you read it (version {}, you sent {}); read it again.": (
        "Het middel is gewijzigd sinds u het las (versie {0}, u stuurde {1}); lees het opnieuw."
    ),
    "{} still has {} future booking(s); cancel or complete them first.": (
        "{0} heeft nog {1} toekomstige boeking(en); annuleer of voltooi die eerst."
    ),
    "The cursor is not one this list gave out (or the sort changed).": (
        "Deze cursor komt niet van deze lijst (of de sortering is veranderd)."
    ),
    "The period overlaps tariff {} ({} – {}).": "De periode overlapt tarief {0} ({1} – {2}).",
    "Overlaps an existing tariff period.": "Overlapt een bestaande tariefperiode.",
    "Only an administrator (beheerder-functioneel) manages {}.": (
        "Alleen een functioneel beheerder (beheerder-functioneel) beheert {0}."
    ),
    "Organisation {} already exists.": "Organisatie {0} bestaat al.",
    "Region {} already exists.": "Regio {0} bestaat al.",
    "{} {} does not exist.": "{0} {1} bestaat niet.",
    "Must lie in the years {} to {}.": "Moet in de jaren {0} tot en met {1} liggen.",
    "Needs at least 2 characters that are not spaces.": (
        "Heeft minstens 2 tekens nodig die geen spatie zijn."
    ),
    "Unknown time zone {}; use an IANA name such as 'Europe/Amsterdam'.": (
        "Onbekende tijdzone {0}; gebruik een IANA-naam zoals 'Europe/Amsterdam'."
    ),
    "Amounts cannot be negative.": "Bedragen kunnen niet negatief zijn.",
    "Amounts are in whole cents.": "Bedragen zijn in hele centen.",
    "The marginal-cost rate cannot exceed the full-cost rate.": (
        "Het marginale-kostentarief kan niet hoger zijn dan het integrale-kostentarief."
    ),
    "A tariff period must end after it starts.": "Een tariefperiode moet eindigen na haar begin.",
    "Capacity must be at least 1.": "De capaciteit moet minstens 1 zijn.",
    "A {} is booked one slot at a time; its capacity is 1.": (
        "Een {0} wordt per slot geboekt; de capaciteit is 1."
    ),
    "Readiness notice is an ISO 8601 duration such as PT4H or P1D.": (
        "De gereedheidstermijn is een ISO 8601-duur zoals PT4H of P1D."
    ),
    "Not an ISO 8601 duration (e.g. PT4H).": "Geen ISO 8601-duur (bijvoorbeeld PT4H).",
    "The end must be after the start.": "Het einde moet na het begin liggen.",
    "A contract needs at least one price tier.": (
        "Een contract heeft minstens één prijsstaffel nodig."
    ),
    "The first tier starts at quantity 1.": "De eerste staffel begint bij aantal 1.",
    "Tier thresholds must rise.": "De drempels van de staffels moeten oplopen.",
    "A higher volume tier cannot cost more per unit.": (
        "Een staffel met meer volume kan per eenheid niet duurder zijn."
    ),
    "Unit prices must not rise with volume.": "Eenheidsprijzen mogen niet stijgen met het volume.",
    "Tier prices are non-negative cents.": "Staffelprijzen zijn niet-negatieve centen.",
    "Retire an asset with POST /assets/{id}/retire.": (
        "Stel een middel buiten gebruik met POST /assets/{id}/retire."
    ),
    "Use the retire action.": "Gebruik de actie retire.",
    "A {} organisation's id starts with {}.": (
        "De id van een organisatie van soort {0} begint met {1}."
    ),
    "Only a Defence owner (defensie-beheerder) publishes contracts.": (
        "Alleen een beheerder van Defensie (defensie-beheerder) publiceert contracten."
    ),
    "The contract's items are not all yours.": (
        "De artikelen van het contract zijn niet alle van u."
    ),
    "Contract reference {} already exists.": "Contractkenmerk {0} bestaat al.",
    "Unknown item {}.": "Onbekend artikel {0}.",
    "{} is not a procurement item.": "{0} is geen inkoopartikel.",
    "{} belongs to {}.": "{0} hoort bij {1}.",
    "Contract {} does not exist.": "Contract {0} bestaat niet.",
    "Availability must lie inside a tariff period, so every use can be priced.": (
        "Beschikbaarheid moet binnen een tariefperiode liggen, zodat elke inzet een prijs heeft."
    ),
    "Not covered by the asset's tariff periods.": (
        "Niet gedekt door de tariefperioden van het middel."
    ),
    "A one-off window needs start_at and end_at.": (
        "Een eenmalig venster heeft start_at en end_at nodig."
    ),
    "Required for one_off.": "Verplicht voor one_off.",
    "The window lies in the past.": "Het venster ligt in het verleden.",
    "A recurring window needs weekdays, times and a validity period.": (
        "Een terugkerend venster heeft weekdagen, tijden en een geldigheidsperiode nodig."
    ),
    "Required for recurring.": "Verplicht voor terugkerend.",
    "The rule must end on or after it starts.": (
        "De regel moet eindigen op of na de dag waarop hij begint."
    ),
    "A window needs a duration.": "Een venster heeft een duur nodig.",
    "Availability window {} does not exist for this asset.": (
        "Beschikbaarheidsvenster {0} bestaat niet voor dit middel."
    ),
    "Blackout {} does not exist for this asset.": "Blokkade {0} bestaat niet voor dit middel.",
    "'to' must be after 'from'.": "'to' moet na 'from' liggen.",
    "Ask for at most 366 days at a time.": "Vraag hoogstens 366 dagen tegelijk op.",
    # -- booking ---------------------------------------------------------------------------------
    "No such calendar feed.": "Deze agendafeed bestaat niet.",
    "Cannot {} a booking that is {}.": "Een boeking die {1} is kan niet: {0}.",
    "Times must lie before the year 10000 (UTC).": (
        "Tijden moeten voor het jaar 10000 (UTC) liggen."
    ),
    "Times need a timezone offset (ISO 8601).": (
        "Tijden hebben een tijdzoneverschil nodig (ISO 8601)."
    ),
    "Actual end must be after actual start.": (
        "Het werkelijke einde moet na het werkelijke begin liggen."
    ),
    "A use is completed after it ended: the actual end lies in the future.": (
        "Een inzet wordt voltooid nadat hij is geëindigd: het werkelijke einde ligt in de toekomst."
    ),
    "The actual start lies more than {} hours before the planned start ({}).": (
        "Het werkelijke begin ligt meer dan {0} uur voor het geplande begin ({1})."
    ),
    "Long before the planned start.": "Ver voor het geplande begin.",
    "Usage must be more than 0 and at most the actual window's {} hours.": (
        "Het gebruik moet meer dan 0 zijn en hoogstens de {0} uur van het werkelijke venster."
    ),
    "Between 0.01 and {} hours.": "Tussen 0,01 en {0} uur.",
    "Only an acute (priority 1) request may preempt a booking.": (
        "Alleen een acute aanvraag (prioriteit 1) mag een boeking verdringen."
    ),
    "A booking of equal or higher priority cannot be preempted.": (
        "Een boeking met gelijke of hogere prioriteit kan niet worden verdrongen."
    ),
    "Only an approved booking can be preempted; this one is {}.": (
        "Alleen een goedgekeurde boeking kan worden verdrongen; deze is {0}."
    ),
    "Order {} does not exist.": "Afroep {0} bestaat niet.",
    "Only a police planner (politie-planner) places call-offs.": (
        "Alleen een planner van de politie (politie-planner) plaatst afroepen."
    ),
    "Unknown framework contract.": "Onbekend raamcontract.",
    "No such contract.": "Dit contract bestaat niet.",
    "The item is not covered by this contract.": "Dit artikel valt niet onder dit contract.",
    "Not in the contract.": "Niet in het contract.",
    "Delivery cannot be in the past.": "Levering kan niet in het verleden liggen.",
    "Delivery falls outside the contract period.": "De levering valt buiten de contractperiode.",
    "Contract {} has {} units left.": "Contract {0} heeft nog {1} eenheden over.",
    "{} has capacity {}.": "{0} heeft capaciteit {1}.",
    "Times must lie between the years 1 and 9999 on the Dutch clock.": (
        "Tijden moeten op de Nederlandse klok tussen de jaren 1 en 9999 liggen."
    ),
    "A series needs a count or an until.": "Een reeks heeft een count of een until nodig.",
    "The series runs past the year 9999.": "De reeks loopt voorbij het jaar 9999.",
    "The series has no occurrence: until lies before the first start.": (
        "De reeks heeft geen enkele keer: until ligt voor het eerste begin."
    ),
    "A series has at most {} occurrences.": "Een reeks heeft hoogstens {0} keren.",
    "Only a police planner (politie-planner) requests bookings.": (
        "Alleen een planner van de politie (politie-planner) vraagt boekingen aan."
    ),
    "An occurrence lasts at most 7 days.": "Eén keer duurt hoogstens 7 dagen.",
    "Unknown asset.": "Onbekend middel.",
    "No such asset in the catalog.": "Dit middel staat niet in de catalogus.",
    "No such asset.": "Dit middel bestaat niet.",
    "Asset {} is {} and cannot be booked.": "Middel {0} is {1} en kan niet worden geboekt.",
    "Asset is {}.": "Middel is {0}.",
    "Procurement items are ordered as call-offs (POST /orders), not booked.": (
        "Inkoopartikelen worden afgeroepen (POST /orders), niet geboekt."
    ),
    "Not a bookable asset.": "Geen boekbaar middel.",
    "{} needs {} notice.": "{0} heeft een gereedheidstermijn van {1} nodig.",
    "{} is not published as available for the whole window (outside the owner's availability, "
    "or blocked for Defence's own use).": (
        "{0} is niet voor het hele venster als beschikbaar gepubliceerd (buiten de "
        "beschikbaarheid van de beheerder, of geblokkeerd voor eigen gebruik door Defensie)."
    ),
    "Outside published availability.": "Buiten de gepubliceerde beschikbaarheid.",
    "{} is already booked in that window (booking {}).": (
        "{0} is in dat venster al geboekt (boeking {1})."
    ),
    "{} is already booked in that window.": "{0} is in dat venster al geboekt.",
    "{} has {} of {} units free in that window.": (
        "{0} heeft in dat venster {1} van {2} eenheden vrij."
    ),
    "Only {} free in the window.": "Slechts {0} vrij in het venster.",
    "The window was taken by concurrent requests while this one was judged; try again.": (
        "Het venster is door gelijktijdige aanvragen bezet terwijl deze werd beoordeeld; probeer "
        "het opnieuw."
    ),
    "Booking {} does not exist.": "Boeking {0} bestaat niet.",
    "The approval queue is for asset owners (defensie-beheerder).": (
        "De goedkeuringswachtrij is voor beheerders van middelen (defensie-beheerder)."
    ),
    "Only the asset owner ({}) may {} it.": "Alleen de beheerder van het middel ({0}) mag: {1}.",
    "Only the requesting unit ({}) may {} it.": "Alleen de aanvragende eenheid ({0}) mag: {1}.",
    "To {} needs a reason.": "Voor {0} is een reden nodig.",
    "The request lapsed at {} without a decision.": (
        "De aanvraag is op {0} zonder besluit vervallen."
    ),
    "Asset {} has been retired: reject the request, or counter-offer another asset.": (
        "Middel {0} is buiten gebruik gesteld: wijs de aanvraag af, of doe een tegenbod met een "
        "ander middel."
    ),
    "This acute request overlaps other bookings: preempt them (POST /bookings/{id}/preempt with "
    "by_booking_id) to approve it.": (
        "Deze acute aanvraag overlapt andere boekingen: verdring die (POST "
        "/bookings/{id}/preempt met by_booking_id) om haar goed te keuren."
    ),
    "Completing needs the actual start and end.": (
        "Voor voltooien zijn het werkelijke begin en einde nodig."
    ),
    "The new window overlaps another booking of the asset.": (
        "Het nieuwe venster overlapt een andere boeking van het middel."
    ),
    "A counter-offer proposes another window or asset.": (
        "Een tegenbod stelt een ander venster of een ander middel voor."
    ),
    "Same as the request.": "Gelijk aan de aanvraag.",
    "You can only offer your own assets.": "U kunt alleen uw eigen middelen aanbieden.",
    "Not your asset.": "Niet uw middel.",
    "Name the acute request that displaces this booking.": (
        "Noem de acute aanvraag die deze boeking verdringt."
    ),
    "The acute request is for another asset.": "De acute aanvraag is voor een ander middel.",
    "The acute request does not overlap this booking.": (
        "De acute aanvraag overlapt deze boeking niet."
    ),
    "The acute request is {}, not requested.": "De acute aanvraag is {0}, niet aangevraagd.",
    "The acute request lapsed at {} without a decision.": (
        "De acute aanvraag is op {0} zonder besluit vervallen."
    ),
    # -- cost-sharing ----------------------------------------------------------------------------
    "Only an administrator (beheerder-functioneel) changes agreements.": (
        "Alleen een functioneel beheerder (beheerder-functioneel) wijzigt afspraken."
    ),
    "Only an administrator (beheerder-functioneel) records agreements.": (
        "Alleen een functioneel beheerder (beheerder-functioneel) legt afspraken vast."
    ),
    "Agreement {} does not exist.": "Afspraak {0} bestaat niet.",
    "The agreement is at version {}; read it again.": (
        "De afspraak staat op versie {0}; lees haar opnieuw."
    ),
    "Agreement {} ({}) would cover the same bookings with the same specificity in an "
    "overlapping period; make one more specific or end it.": (
        "Afspraak {0} ({1}) zou dezelfde boekingen even specifiek dekken in een overlappende "
        "periode; maak er een specifieker of beëindig haar."
    ),
    "The share is a percentage from 0 to 100.": "Het aandeel is een percentage van 0 tot 100.",
    "An agreement must end after it starts.": "Een afspraak moet eindigen na haar begin.",
    "Only an administrator (beheerder-functioneel) previews agreements.": (
        "Alleen een functioneel beheerder (beheerder-functioneel) bekijkt afspraken vooraf."
    ),
    "Required for a new agreement.": "Verplicht voor een nieuwe afspraak.",
    "Allocation {} does not exist.": "Kostentoedeling {0} bestaat niet.",
    "Only finance (financien) reviews allocations.": (
        "Alleen financiën (financien) beoordeelt kostentoedelingen."
    ),
    "Cannot {} an allocation that is {}.": "Een kostentoedeling die {1} is kan niet: {0}.",
    "{} disputed this allocation, so it is resolved by the joint controller or the other "
    "side's finance (four eyes).": (
        "{0} heeft deze kostentoedeling betwist; de gezamenlijke controller of financiën van de "
        "andere kant lost haar op (vier ogen)."
    ),
    "This resolution lowers your own side's share from {} to {}: only the joint controller "
    "may resolve it so (four eyes).": (
        "Deze oplossing verlaagt het aandeel van uw eigen kant van {0} naar {1}: alleen de "
        "gezamenlijke controller mag haar zo oplossen (vier ogen)."
    ),
    "Only the joint controller exports the ledger.": (
        "Alleen de gezamenlijke controller exporteert het grootboek."
    ),
    "Unknown agreement.": "Onbekende afspraak.",
    "No such agreement.": "Deze afspraak bestaat niet.",
    "That agreement does not cover this use (legal basis or scope).": (
        "Die afspraak dekt deze inzet niet (wettelijke grondslag of reikwijdte)."
    ),
    "Does not cover this allocation.": "Dekt deze kostentoedeling niet.",
    "This allocation has no tariff to price by.": (
        "Deze kostentoedeling heeft geen tarief om mee te prijzen."
    ),
    "Use requester_amount instead.": "Gebruik in plaats daarvan requester_amount.",
    "The requester's share lies between 0.00 and {}.": (
        "Het aandeel van de aanvrager ligt tussen 0.00 en {0}."
    ),
    "Resolve with an agreement_id to reprice, or a corrected requester_amount.": (
        "Los op met een agreement_id om opnieuw te prijzen, of met een gecorrigeerd "
        "requester_amount."
    ),
    "A period lies in the years 0001 to 9998.": (
        "Een periode ligt in de jaren 0001 tot en met 9998."
    ),
    "A period is a year (2026), a quarter (2026-Q4) or a month (2026-11).": (
        "Een periode is een jaar (2026), een kwartaal (2026-Q4) of een maand (2026-11)."
    ),
    "Not a period: {}": "Geen periode: {0}",
    "Compare quarters (2026-Q4) or months (2026-11).": (
        "Vergelijk kwartalen (2026-Q4) of maanden (2026-11)."
    ),
    "A quarter (2026-Q4) or a month (2026-11), not a year.": (
        "Een kwartaal (2026-Q4) of een maand (2026-11), geen jaar."
    ),
    "The baseline and the period are both quarters or both months.": (
        "De nulmeting en de periode zijn allebei kwartalen of allebei maanden."
    ),
    "Not the same kind of period as {}.": "Niet hetzelfde soort periode als {0}.",
    "The baseline comes before the period it is compared with.": (
        "De nulmeting ligt vóór de periode waarmee ze wordt vergeleken."
    ),
    "Not before {}.": "Niet vóór {0}.",
    "You may not read the statement of {}.": "U mag het overzicht van {0} niet inzien.",
    "Only finance responsible for {} closes its statements.": (
        "Alleen financiën die verantwoordelijk is voor {0} sluit de overzichten af."
    ),
    "The statement of {} for {} {} (statement {}, closed {} by {}): a ledger line is in one "
    "closed statement only.": (
        "Het overzicht van {0} voor {1} {2} (overzicht {3}, afgesloten {4} door {5}): een "
        "grootboekregel staat in maar één afgesloten overzicht."
    ),
    "Overlaps the closed statement for {}.": "Overlapt het afgesloten overzicht voor {0}.",
    "{} allocation(s) in {} still need review.": (
        "{0} kostentoedeling(en) in {1} moeten nog worden beoordeeld."
    ),
    "Allocations in it still need review.": (
        "Kostentoedelingen daarin moeten nog worden beoordeeld."
    ),
    # -- notify ---------------------------------------------------------------------------
    "No notification {} for you.": "Geen melding {0} voor u.",
    "Email for some kinds needs an address; see 'errors'.": (
        "E-mail voor sommige soorten vraagt een adres; zie 'errors'."
    ),
    "Give an address to receive the chosen kinds by email.": (
        "Geef een adres om de gekozen soorten per e-mail te ontvangen."
    ),
    "Unknown role {}.": "Onbekende rol {0}.",
    "Choose one of {}.": "Kies een van {0}.",
    "Only an administrator (beheerder-functioneel) manages this.": (
        "Alleen een beheerder (beheerder-functioneel) beheert dit."
    ),
    "You manage your own organisation's settings only.": (
        "U beheert alleen de instellingen van uw eigen organisatie."
    ),
    "Not your organisation.": "Niet uw organisatie.",
    "No webhook {} of yours.": "Geen webhook {0} van u.",
    "The webhook URL is not allowed; see 'errors'.": (
        "De webhook-URL is niet toegestaan; zie 'errors'."
    ),
    "Give an http:// or https:// URL with a host, a valid port and no login.": (
        "Geef een http://- of https://-URL met een host, een geldige poort en zonder login."
    ),
    "The host cannot be resolved.": "De host is niet op te zoeken.",
    "The host resolves to a {} address ({}); webhooks go to public addresses only.": (
        "De host verwijst naar een {0} adres ({1}); webhooks gaan alleen naar publieke adressen."
    ),
    # -- booking: the crisis fast path (services/booking/crisis.py) --------------------------
    "Decision times are set by an administrator (beheerder-functioneel).": (
        "Beslistijden stelt een beheerder (beheerder-functioneel) in."
    ),
    "A category is a lowercase code such as helicopter or dive_team.": (
        "Een categorie is een code in kleine letters, zoals helicopter of dive_team."
    ),
    "Lowercase letters, digits and '_', 2-40 characters.": (
        "Kleine letters, cijfers en '_', 2-40 tekens."
    ),
    "A decision time lies between 1 minute and 24 hours.": (
        "Een beslistijd ligt tussen 1 minuut en 24 uur."
    ),
    "Between 1 and 1440.": "Tussen 1 en 1440.",
    "The hold lapsed at {}.": "De voorlopige reservering is vervallen op {0}.",
}
