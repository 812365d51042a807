# Cada frase que ve un visitante, en español. Las mismas claves que en.ftl.

## Página
site-tagline = Firma, comparte y únete.
skip-link = Ir al contenido
language-switch = Idioma

## Portada
open-campaigns = Peticiones y cartas abiertas
no-open-campaigns = No hay peticiones abiertas en este momento.
setup-notice = Todavía no hay ninguna cuenta del equipo. Para configurar este sitio, abre el enlace de un solo uso que aparece en la salida del servidor.

## Recuentos
signature-count = { $count ->
    [one] { $count } firma
   *[other] { $count } firmas
}
goal = Meta: { $goal }

## Peticiones y cartas
to-recipients = Para:
read-letter = Leer la carta
sign-heading = Firma la petición
letter-sign-heading = Añade tu nombre a la carta
sign-button = Firmar ahora
letter-sign-button = Añadir mi nombre
closed-title = Esta petición está cerrada
closed-body = Ya no admite firmas. Gracias por tu apoyo.
delivered = Entregada a { $recipients } con { $count } el { $date }.
delivered-nobody = Entregada con { $count } el { $date }.
delivered-record = Registro público de la entrega

## Registro de entrega (/d/…)
delivery-eyebrow = Registro de entrega
delivery-count = { $count } al { $cutoff } (UTC)
delivery-offline = { $offline } de ellas se recogieron en papel y las contó el equipo; no están en la lista de firmantes.
delivery-facts = El registro
delivery-cutoff = Fecha de corte (UTC)
delivery-delivered = Entregada
delivery-listed = Firmas en la lista
delivery-named = Firmantes que aceptaron aparecer con su nombre
delivery-digest = SHA-256 de la lista de firmantes
delivery-recipients = Entregada a
delivery-verify-heading = Compruébalo tú
delivery-verify-body = La lista de firmantes tiene una línea por cada firma contada hasta la fecha de corte. Solo aparecen los nombres de quienes aceptaron mostrarlos; las demás líneas tienen una referencia, la hora de la firma y una región postal. Descarga la lista y calcula su SHA-256: debe ser el de arriba.
delivery-download = Descargar la lista de firmantes (CSV)
delivery-verify-how = Por ejemplo, en una terminal:
delivery-breakdown = Quién firmó
delivery-by-region = Por región postal
delivery-by-worksite = Por lugar de trabajo
delivery-by-day = Por día (UTC)
delivery-region = Región
delivery-worksite = Lugar de trabajo
delivery-day = Día
delivery-signatures = Firmas
delivery-the-text = El texto entregado
delivery-not-given = sin indicar
delivery-other-worksites = Otros lugares de trabajo (menos de { $min } firmantes cada uno)
delivery-campaign = La página de la campaña
packet-statement = { $count ->
    [one] { $n } persona firmó hasta el { $cutoff } (UTC).
   *[other] { $n } personas firmaron hasta el { $cutoff } (UTC).
}
packet-named = Firmantes que aceptaron aparecer con su nombre
packet-running = { $from } a { $to } de { $of }
packet-comments = En sus palabras
packet-digest = SHA-256 de la lista de firmantes: { $digest }
packet-verify = Comprueba esta entrega y descarga su lista de firmantes en { $url }
packet-page = Página { $page } de { $pages }
packet-print = El paquete, para imprimir
packet-col-number = N.º
packet-col-name = Nombre
packet-col-detail = Puesto · lugar de trabajo
packet-download = El paquete (PDF)

## Ad landing pages
landing-about = Sobre la petición:
watch-video = Ver el video

## El formulario
field-given-name = Nombre
field-family-name = Apellidos
field-email = Correo electrónico
field-postal-code = Código postal
field-phone = Teléfono móvil
field-employer = Empleador
field-job-title = Puesto o cargo
field-worksite = Lugar de trabajo (hospital, unidad, tienda…)
field-comment = ¿Por qué firmas?
optional = opcional
email-opt-in = Quiero recibir novedades de esta campaña por correo.
public-name = Mostrar mi nombre en la carta entregada.
privacy-note = Nunca vendemos tus datos. Tu nombre nunca se muestra públicamente si no lo eliges.
honeypot-label = Deja este campo vacío
errors-summary = Corrige los campos señalados.
error-prefix = Error:

## Por qué se rechazó un campo
err-required = Este campo es obligatorio.
err-too-long = Usa como máximo { $max } caracteres.
err-control-chars = Quita los caracteres especiales.
err-invalid-name = Escribe un nombre que empiece por una letra.
err-invalid-email = Escribe un correo electrónico como nombre@ejemplo.com.
err-invalid-zip = Escribe un código postal de 5 dígitos, como 94110.
err-invalid-postal-code = Escribe un código postal válido.
err-invalid-phone = Escribe un teléfono de 7 a 15 dígitos, o déjalo vacío.

## Después de firmar
thanks-title = ¡Gracias por firmar!
thanks-body = Tu firma ha sido contada. Compartir es la mejor forma de ayudar ahora.
already-title = Ya has firmado
already-body = Gracias: tu firma ya estaba contada, así que nada ha cambiado. Aún puedes compartir la petición.
share-heading = Compártela
share-text = Acabo de firmar esto. ¿Añades tu nombre?
share-email = Correo
share-sms = Mensaje de texto
share-copy = Copiar enlace
share-copied = Enlace copiado
next-goal = Ayúdanos a llegar a { $goal } firmas.
your-link = Tu enlace personal
back-to-petition = Volver a la petición
all-campaigns = Todas las peticiones

## Páginas de error
not-found-title = Página no encontrada
not-found-body = No encontramos esa página. Puede que se haya movido o que el enlace esté incompleto.
bad-request-title = No entendimos esa solicitud
bad-request-body = Algo de lo que envió tu navegador estaba mal formado. Vuelve atrás e inténtalo de nuevo.
too-many-title = Demasiadas solicitudes
too-many-body = Espera un momento y vuelve a intentarlo.
too-many-connections = Demasiadas conexiones desde tu red a la vez. Vuelve a intentarlo en unos segundos.
too-large-title = Demasiados datos
too-large-body = Lo que enviaste es demasiado grande. Acórtalo y vuelve a intentarlo.
error-title = Algo salió mal
error-body = Lo sentimos, no pudimos terminar. Inténtalo de nuevo en un momento; nada se contó dos veces.
letter-subject = Carta abierta: { $title }
letter-greeting = Estimado/a { $name }:
letter-intro = Le entregamos la carta abierta que sigue.
letter-attached = El paquete adjunto (PDF) contiene la carta, el recuento por región, lugar de trabajo y día, y los firmantes que aceptaron aparecer con su nombre. También está en { $url }
letter-verify = Cualquiera puede comprobar este recuento, y descargar su lista de firmantes, en { $url }
digest-subject = { $title }: { $n } más en las últimas 24 horas
digest-body = { $count ->
    [one] { $n } persona más firmó «{ $title }» en las últimas 24 horas: { $total } en total.
   *[other] { $n } personas más firmaron «{ $title }» en las últimas 24 horas: { $total } en total.
}
digest-why = Recibe esta actualización una vez al día mientras la carta esté abierta, como una de las personas a quienes se dirige.
digest-stop = Para dejar de recibir estas actualizaciones: { $url }
digest-stop-link = Dejar de recibir estas actualizaciones

## Darse de baja de los correos de actualización
unsubscribe-title = Dejar de recibir estos correos
unsubscribe-body = No recibirá más correos como este sobre «{ $title }».
unsubscribe-button = Dejar de recibir estos correos
unsubscribe-done-title = No recibirá más correos como este
unsubscribe-done-body = No se le enviará nada más de este tipo sobre «{ $title }».
unsubscribe-unknown-title = Este enlace no funciona
unsubscribe-unknown-body = Compruebe que abrió el enlace completo del correo.

## Confirmación por correo
confirm-title = Confirma tu firma
confirm-body = Firmaste «{ $title }». Pulsa el botón para confirmar tu correo electrónico: tu firma cuenta desde ese momento.
confirm-button = Confirmar mi firma
confirm-used-title = Tu firma está confirmada
confirm-used-body = Tu firma en «{ $title }» ya está confirmada y contada. ¡Gracias!
confirm-expired-title = Este enlace ha caducado
confirm-expired-body = Los enlaces de confirmación sirven durante 7 días. Vuelve a firmar «{ $title }» con el mismo correo y te enviaremos un enlace nuevo.
confirm-sign-again = Volver a firmar
confirm-unknown-title = Este enlace no funciona
confirm-unknown-body = Comprueba que abriste el enlace completo del correo. Si ya confirmaste, no tienes que hacer nada más.
confirm-email-subject = Confirma tu firma: { $title }
confirm-email-reminder-subject = Recordatorio: confirma tu firma: { $title }
confirm-email-greeting = Hola, { $name }:
confirm-email-intro = Gracias por firmar «{ $title }». Para que tu firma cuente, abre este enlace y pulsa «Confirmar mi firma»:
confirm-email-reminder-intro = Ayer firmaste «{ $title }», pero tu firma aún no cuenta. Para que cuente, abre este enlace y pulsa «Confirmar mi firma»:
confirm-email-expiry = El enlace sirve durante 7 días.
confirm-email-ignore = Si no firmaste, ignora este correo: no se contará nada.
thanks-pending-title = Casi listo: revisa tu correo
thanks-pending-body = Enviamos un enlace a la dirección que nos diste. Tu firma cuenta cuando lo abras y pulses «Confirmar mi firma». Si no ha llegado en unos minutos, mira en la carpeta de correo no deseado.
