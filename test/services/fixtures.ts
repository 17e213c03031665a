// A small service inventory shared by the customer-services tests (each test file imports it into its own database).
export const inventory = {
  services: [
    {
      service_id: 'SOM-12345',
      customer_id: 'C-100',
      company: 'Abarrotes La Esperanza SA de CV',
      label: 'Sucursal Centro',
      technology: 'Fibra óptica',
      component: 'metepec-fibra',
      elements: ['OLT-MET-01', 'PON-MET-01/1'],
      monthly_price_mxn: 3499,
      contacts: [
        { name: 'Laura Gómez', email: 'Laura@Esperanza.mx', phone: '722 100 2000' },
        { name: 'NOC Esperanza', email: 'noc@esperanza.mx' },
      ],
    },
    {
      service_id: 'SOM-12346',
      customer_id: 'C-100',
      company: 'Abarrotes La Esperanza SA de CV',
      label: 'Bodega Norte',
      technology: 'Fibra óptica',
      component: 'metepec-fibra',
      elements: ['OLT-MET-01', 'PON-MET-01/2'],
      contacts: [{ name: 'Laura Gómez', email: 'laura@esperanza.mx' }],
    },
    {
      service_id: 'SOM-20001',
      customer_id: 'C-200',
      company: 'Transportes del Valle',
      label: 'Patio Lerma',
      technology: 'Inalámbrico',
      component: 'lerma-inalambrico',
      elements: ['TORRE-LERMA-AP2'],
      contacts: [{ name: 'Pedro Ruiz', email: 'pedro@tvalle.mx', phone: '+52 728 555 0101' }],
    },
    {
      service_id: 'SOM-30001',
      customer_id: 'C-300',
      company: 'Clínica San José',
      label: 'Matriz',
      technology: 'Fibra óptica',
      component: 'toluca-fibra',
      elements: ['OLT-TOL-03'],
      contacts: [{ name: 'Ana Díaz', email: 'sistemas@clinicasj.mx' }],
    },
  ],
};
