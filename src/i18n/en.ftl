# Every phrase a visitor can see, in English. Each message here exists in every other locale
# (a unit test checks), and every message the code asks for exists here.

## Page shell
site-tagline = Sign, share, and stand together.
skip-link = Skip to content
language-switch = Language

## Home page
open-campaigns = Open petitions and letters
no-open-campaigns = There are no open petitions right now.
setup-notice = No staff account exists yet. To set up this site, open the one-time link printed in the server's output.

## Counts ($count is a number; it is shown with local thousands separators)
signature-count = { $count ->
    [one] { $count } signature
   *[other] { $count } signatures
}
goal = Goal: { $goal }

## Petition and letter pages
to-recipients = To:
read-letter = Read the letter
sign-heading = Sign the petition
letter-sign-heading = Add your name to the letter
sign-button = Sign now
letter-sign-button = Add my name
closed-title = This petition is closed
closed-body = It no longer accepts signatures. Thank you for your support.
delivered = Delivered to { $recipients } with { $count } on { $date }.
delivered-nobody = Delivered with { $count } on { $date }.
delivered-record = Public record of the delivery

## Delivery record (/d/…)
delivery-eyebrow = Delivery record
delivery-count = { $count } as of { $cutoff } (UTC)
delivery-offline = { $offline } of them were collected on paper and counted by staff; they are not in the signer list.
delivery-facts = The record
delivery-cutoff = Cut-off (UTC)
delivery-delivered = Delivered
delivery-listed = Signatures in the list
delivery-named = Signers who agreed to be named
delivery-digest = SHA-256 of the signer list
delivery-recipients = Delivered to
delivery-verify-heading = Check it yourself
delivery-verify-body = The signer list has one line for each signature counted by the cut-off. Names appear only for signers who agreed to be named; every other line has a reference, the time of signing and a postal region. Download the list and compute its SHA-256: it must be the one above.
delivery-download = Download the signer list (CSV)
delivery-verify-how = For example, in a terminal:
delivery-breakdown = Who signed
delivery-by-region = By postal region
delivery-by-worksite = By worksite
delivery-by-day = By day (UTC)
delivery-region = Region
delivery-worksite = Worksite
delivery-day = Day
delivery-signatures = Signatures
delivery-the-text = The text delivered
delivery-not-given = not given
delivery-other-worksites = Other worksites (fewer than { $min } signers each)
delivery-campaign = The campaign's page
packet-statement = { $count ->
    [one] { $n } person signed as of { $cutoff } (UTC).
   *[other] { $n } people signed as of { $cutoff } (UTC).
}
packet-named = Signers who agreed to be named
packet-running = { $from } to { $to } of { $of }
packet-comments = In their words
packet-digest = SHA-256 of the signer list: { $digest }
packet-verify = Check this delivery, and download its signer list, at { $url }
packet-page = Page { $page } of { $pages }
packet-print = The packet, to print
packet-col-number = No.
packet-col-name = Name
packet-col-detail = Job title · worksite
packet-download = The packet (PDF)

## Ad landing pages
landing-about = About the petition:
watch-video = Watch the video

## The signing form
field-given-name = First name
field-family-name = Last name
field-email = Email
field-postal-code = ZIP / postal code
field-phone = Mobile phone
field-employer = Employer
field-job-title = Job title or role
field-worksite = Worksite (hospital, unit, store…)
field-comment = Why are you signing?
optional = optional
email-opt-in = Email me updates about this campaign.
public-name = Show my name on the delivered letter.
privacy-note = We never sell your data. Your name is never shown publicly unless you choose.
honeypot-label = Leave this field empty
errors-summary = Please fix the highlighted fields.
error-prefix = Error:

## Why a field was refused
err-required = This field is required.
err-too-long = Please use at most { $max } characters.
err-control-chars = Please remove the special characters.
err-invalid-name = Please enter a name, starting with a letter.
err-invalid-email = Please enter an email address like name@example.com.
err-invalid-zip = Please enter a 5-digit ZIP code, like 94110.
err-invalid-postal-code = Please enter a valid postal code.
err-invalid-phone = Please enter a phone number with 7 to 15 digits, or leave it empty.

## After signing
thanks-title = Thank you for signing!
thanks-body = Your signature has been counted. Sharing is the best way to help now.
already-title = You have already signed
already-body = Thank you: your signature was already counted, so nothing has changed. You can still share the petition.
share-heading = Share it
share-text = I just signed this. Will you add your name?
share-email = Email
share-sms = Text message
share-copy = Copy link
share-copied = Link copied
next-goal = Help us reach { $goal } signatures.
your-link = Your personal link
back-to-petition = Back to the petition
all-campaigns = All petitions

## Error pages
not-found-title = Page not found
not-found-body = We could not find that page. It may have moved or the link may be incomplete.
bad-request-title = That request was not understood
bad-request-body = Something in what your browser sent was malformed. Please go back and try again.
too-many-title = Too many requests
too-many-body = Please wait a moment and try again.
too-many-connections = Too many connections from your network at once. Please try again in a few seconds.
too-large-title = Too much data
too-large-body = What you sent was too large. Please shorten it and try again.
error-title = Something went wrong
error-body = Sorry, we could not finish that. Please try again in a moment; nothing you sent was counted twice.
letter-subject = Open letter: { $title }
letter-greeting = Dear { $name },
letter-intro = We are delivering to you the open letter below.
letter-attached = The packet attached (PDF) has the letter, the count by region, worksite and day, and the signers who agreed to be named. It is also at { $url }
letter-verify = Anyone can check this count, and download its signer list, at { $url }
digest-subject = { $title }: { $n } more in the last 24 hours
digest-body = { $count ->
    [one] { $n } more person signed “{ $title }” in the last 24 hours: { $total } in all.
   *[other] { $n } more people signed “{ $title }” in the last 24 hours: { $total } in all.
}
digest-why = You get this update once a day while the letter is open, as one of the people it is addressed to.
digest-stop = To stop these updates: { $url }
digest-stop-link = Stop these updates

## Unsubscribing from update emails
unsubscribe-title = Stop these emails
unsubscribe-body = You will get no more of these emails about “{ $title }”.
unsubscribe-button = Stop these emails
unsubscribe-done-title = You will get no more of these emails
unsubscribe-done-body = Nothing more of this kind about “{ $title }” will be sent to you.
unsubscribe-unknown-title = This link does not work
unsubscribe-unknown-body = Check that you opened the whole link from the email.

## Email confirmation
confirm-title = Confirm your signature
confirm-body = You signed “{ $title }”. Press the button to confirm your email address: your signature counts from then.
confirm-button = Confirm my signature
confirm-used-title = Your signature is confirmed
confirm-used-body = Your signature on “{ $title }” is already confirmed and counted. Thank you!
confirm-expired-title = This link has expired
confirm-expired-body = Confirmation links work for 7 days. Sign “{ $title }” again with the same email address and we will send you a new link.
confirm-sign-again = Sign again
confirm-unknown-title = This link does not work
confirm-unknown-body = Check that you opened the whole link from the email. If you have confirmed already, there is nothing more to do.
confirm-email-subject = Confirm your signature: { $title }
confirm-email-reminder-subject = Reminder: confirm your signature: { $title }
confirm-email-greeting = Hello { $name },
confirm-email-intro = Thank you for signing “{ $title }”. To make your signature count, open this link and press “Confirm my signature”:
confirm-email-reminder-intro = Yesterday you signed “{ $title }”, but your signature does not count yet. To make it count, open this link and press “Confirm my signature”:
confirm-email-expiry = The link works for 7 days.
confirm-email-ignore = If you did not sign, ignore this email: nothing will be counted.
thanks-pending-title = Almost done: check your email
thanks-pending-body = We sent a link to the address you gave. Your signature counts once you open it and press “Confirm my signature”. If it has not arrived in a few minutes, look in your spam folder.
