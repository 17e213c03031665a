// Site constants: SOMNET's support channels (customer manual, sections 1.2 and 1.3).
export const SITE_NAME = 'Estado de la red SOMNET';
export const PORTAL_URL = 'https://cliente.somnet.com.mx';
export const SUPPORT_EMAIL = 'soporte@somnet.com.mx';
export const EMERGENCY_PHONE = '722 167 5865';
export const EMERGENCY_PHONE_TEL = 'tel:+527221675865';
